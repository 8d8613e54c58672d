"""The fal adapter against a faithful fake of fal's queue over real HTTP: a request runs to a
downloadable file with progress from its logs, refusals and failures are classified, cancel is
safe, a restart finds a request by its id, and only genuinely signed webhooks are accepted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from services.generation.tests.local_support import FAST_POLLS, Progress
from services.generation.tests.remote_support import (
    download,
    http_client,
    image_model,
    is_png,
    status_when,
)

from atelier_generation.providers.completion import call_and_wait_for_completion
from atelier_generation.providers.errors import (
    ContentPolicy,
    InvalidInput,
    ProviderAuthFailed,
    ProviderQuotaExceeded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    WebhookRejected,
)
from atelier_generation.providers.fal.provider import FalProvider
from atelier_generation.providers.job import JobState, ProviderJob
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_testing.polling import eventually
from atelier_testing.provider_fakes.common_replicate_fal import WebhookReceiver
from atelier_testing.provider_fakes.fal import FakeFal

FLUX = image_model("fal", "fal-ai/flux/dev")


@pytest.fixture
async def fake() -> AsyncIterator[FakeFal]:
    async with FakeFal() as running:
        yield running


def build(fake: FakeFal, http: Any, **changes: Any) -> FalProvider:
    settings: dict[str, Any] = {"name": "fal", "base_url": fake.url, "api_key": fake.key}
    options = {k: changes.pop(k) for k in ("apps",) if k in changes}
    return FalProvider(
        RemoteProviderConfig(**{**settings, "request_timeout_s": 5.0, **changes}),
        http,
        jwks_url=fake.jwks_url,
        **options,
    )


@pytest.fixture
async def fal(fake: FakeFal) -> AsyncIterator[FalProvider]:
    async with http_client() as http:
        yield build(fake, http)


async def test_a_request_runs_to_a_downloadable_image(fake: FakeFal, fal: FalProvider) -> None:
    progress = Progress()
    done = await call_and_wait_for_completion(
        fal, FLUX, {"prompt": "a fox", "num_images": 2}, progress, schedule=FAST_POLLS
    )
    assert len(done.outputs) == 2
    for output in done.outputs:
        assert output.content_type == "image/png"
        assert output.expires_at is not None
        assert is_png((await download(output.url)).content)
    _, path, headers = fake.calls[0]
    assert path == "/fal-ai/flux/dev"
    assert headers["authorization"] == f"Key {fake.key}"
    assert headers["x-fal-request-timeout"] == "60"


async def test_progress_follows_the_logged_steps(fake: FakeFal, fal: FalProvider) -> None:
    fake.pace.manual = True
    job = await fal.submit(FLUX, {"prompt": "a fox"})
    assert (await fal.poll(job)).state is JobState.QUEUED
    seen: list[int] = []
    for _ in range(4):
        await fake.pace.release()
        before = seen[-1] if seen else -1
        status = await status_when(fal, job, lambda s, b=before: s.progress > b)
        seen.append(status.progress)
    assert seen == [5, 25, 50, 75]
    await fake.pace.run_freely()
    assert (await status_when(fal, job, lambda s: s.state.terminal)).state is JobState.SUCCEEDED


@pytest.mark.parametrize(
    ("prompt", "error"),
    [
        ("[fake:quota] a fox", ProviderQuotaExceeded),
        ("[fake:server-error] a fox", ProviderUnavailable),
        ("[fake:rate-limit] a fox", RateLimited),
    ],
)
async def test_refusals_at_submit_are_classified(
    fal: FalProvider, prompt: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await fal.submit(FLUX, {"prompt": prompt})


@pytest.mark.parametrize(
    ("prompt", "error"),
    [
        ("[fake:invalid] a fox", InvalidInput),
        ("[fake:nsfw] a fox", ContentPolicy),
        ("[fake:fail] a fox", ProviderUnavailable),
    ],
)
async def test_failed_requests_are_classified(
    fal: FalProvider, prompt: str, error: type[Exception]
) -> None:
    job = await fal.submit(FLUX, {"prompt": prompt})
    status = await status_when(fal, job, lambda s: s.state.terminal)
    assert status.state is JobState.FAILED
    assert isinstance(status.error, error)


async def test_keys_timeouts_and_rate_limits(fake: FakeFal) -> None:
    async with http_client() as http:
        with pytest.raises(ProviderAuthFailed):
            await build(fake, http, api_key="wrong:key").submit(FLUX, {"prompt": "a"})
        fake.faults.rate_limit(retry_after_s=9)
        with pytest.raises(RateLimited) as limited:
            await build(fake, http).submit(FLUX, {"prompt": "a"})
        assert limited.value.retry_after == 9.0
        fake.faults.hang()
        with pytest.raises(ProviderTimeout):
            await build(fake, http, request_timeout_s=0.3).submit(FLUX, {"prompt": "a"})


async def test_cancel_is_safe_whatever_the_request(fake: FakeFal, fal: FalProvider) -> None:
    fake.pace.manual = True
    job = await fal.submit(FLUX, {"prompt": "a fox"})
    await fal.cancel(job)
    assert (await fal.poll(job)).state is JobState.FAILED  # fal reports a canceled request as 499
    await fake.pace.run_freely()
    done = await fal.submit(FLUX, {"prompt": "a fox"})
    await status_when(fal, done, lambda s: s.state.terminal)
    await fal.cancel(done)
    assert (await fal.poll(done)).state is JobState.SUCCEEDED
    await fal.cancel(ProviderJob("fal", "00000000-0000-0000-0000-000000000000"))
    await fal.cancel(ProviderJob("fal", "../../etc"))


async def test_after_a_restart_a_request_is_found_under_the_catalogues_apps(
    fake: FakeFal, fal: FalProvider
) -> None:
    job = await fal.submit(FLUX, {"prompt": "a fox"})
    async with http_client() as http:
        restarted = build(fake, http, apps=["fal-ai/recraft-v3", "fal-ai/flux/dev"])
        status = await status_when(restarted, job, lambda s: s.state.terminal)
        assert status.state is JobState.SUCCEEDED
        forgetful = build(fake, http)
        assert (await forgetful.poll(job)).state is JobState.FAILED


async def test_output_urls_expire(fake: FakeFal, fal: FalProvider) -> None:
    job = await fal.submit(FLUX, {"prompt": "a fox"})
    url = (await status_when(fal, job, lambda s: s.state.terminal)).outputs[0].url
    assert (await download(url)).status_code == 200
    fake.files.expire_all()
    assert (await download(url)).status_code == 404


async def test_webhooks_are_accepted_only_when_genuinely_signed(fake: FakeFal) -> None:
    async with WebhookReceiver([500]) as receiver, http_client() as http:
        fal = build(fake, http, webhook_url=receiver.url)
        job = await fal.submit(FLUX, {"prompt": "a fox"})

        async def retried() -> bool:
            return len(receiver.received) >= 2

        await eventually(retried, what="the webhook and its retry")
        for delivery in receiver.received:
            update = fal.parse_webhook(delivery.headers, delivery.body)
            assert update.job_id == job.job_id
            assert update.status.state is JobState.SUCCEEDED
        delivery = receiver.received[-1]
        with pytest.raises(WebhookRejected):
            fal.parse_webhook(delivery.headers, delivery.body.replace(b"OK", b"ERROR"))
        with pytest.raises(WebhookRejected):
            fal.parse_webhook({}, delivery.body)
        with pytest.raises(WebhookRejected):
            build(fake, http).parse_webhook(delivery.headers, delivery.body)  # keys not loaded


@pytest.mark.parametrize("tamper", ["signature", "stale"])
async def test_a_forged_or_old_webhook_is_rejected(fake: FakeFal, tamper: str) -> None:
    fake.webhook_tamper = tamper
    async with WebhookReceiver() as receiver, http_client() as http:
        fal = build(fake, http, webhook_url=receiver.url)
        await fal.submit(FLUX, {"prompt": "[fake:invalid] a fox"})

        async def arrived() -> bool:
            return bool(receiver.received)

        await eventually(arrived, what="the webhook")
        with pytest.raises(WebhookRejected):
            fal.parse_webhook(receiver.received[0].headers, receiver.received[0].body)


async def test_an_error_webhook_is_classified(fake: FakeFal) -> None:
    async with WebhookReceiver() as receiver, http_client() as http:
        fal = build(fake, http, webhook_url=receiver.url)
        await fal.submit(FLUX, {"prompt": "[fake:nsfw] a fox"})

        async def arrived() -> bool:
            return bool(receiver.received)

        await eventually(arrived, what="the webhook")
        update = fal.parse_webhook(receiver.received[0].headers, receiver.received[0].body)
        assert update.status.state is JobState.FAILED
        assert isinstance(update.status.error, ContentPolicy)
