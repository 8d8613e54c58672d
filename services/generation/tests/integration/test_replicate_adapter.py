"""The Replicate adapter against a faithful fake over real HTTP: a prediction runs to a
downloadable file with progress read from its logs, every refusal is classified, cancel is safe,
and a malformed answer is a provider fault, never a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
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
    Fault,
    InvalidInput,
    ProviderAuthFailed,
    ProviderQuotaExceeded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.job import JobState, ProviderJob
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_generation.providers.replicate.provider import ReplicateProvider
from atelier_testing.provider_fakes.replicate import FakeReplicate

FLUX = image_model("replicate", "black-forest-labs/flux-schnell")
VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"


@pytest.fixture
async def fake() -> AsyncIterator[FakeReplicate]:
    async with FakeReplicate() as running:
        yield running


def config(fake: FakeReplicate, **changes: Any) -> RemoteProviderConfig:
    settings: dict[str, Any] = {
        "name": "replicate",
        "base_url": fake.api_url,
        "api_key": fake.api_token,
        "request_timeout_s": 5.0,
    }
    return RemoteProviderConfig(**{**settings, **changes})


@pytest.fixture
async def replicate(fake: FakeReplicate) -> AsyncIterator[ReplicateProvider]:
    async with http_client() as http:
        yield ReplicateProvider(config(fake), http)


async def test_a_prediction_runs_to_a_downloadable_image(replicate: ReplicateProvider) -> None:
    progress = Progress()
    done = await call_and_wait_for_completion(
        replicate,
        FLUX,
        {"prompt": "a watercolor fox", "num_outputs": 2},
        progress,
        schedule=FAST_POLLS,
    )
    assert len(done.outputs) == 2
    for output in done.outputs:
        assert output.content_type == "image/png"
        assert output.expires_at is not None
        assert output.expires_at - datetime.now(UTC) > timedelta(minutes=55)
        response = await download(output.url)
        assert response.status_code == 200
        assert is_png(response.content)
    assert progress.seen[-1].state is JobState.SUCCEEDED
    assert progress.seen[-1].progress == 100


async def test_progress_follows_the_tqdm_lines_in_the_logs(
    fake: FakeReplicate, replicate: ReplicateProvider
) -> None:
    fake.pace.manual = True
    job = await replicate.submit(FLUX, {"prompt": "a fox"})
    assert (await replicate.poll(job)).state is JobState.QUEUED
    seen: list[int] = []
    for _ in range(4):
        await fake.pace.release()
        before = seen[-1] if seen else -1
        status = await status_when(replicate, job, lambda s, b=before: s.progress > b)
        assert status.state is JobState.RUNNING
        seen.append(status.progress)
    assert seen == [5, 25, 50, 75]
    await fake.pace.run_freely()
    assert (await status_when(replicate, job, lambda s: s.state.terminal)).progress == 100


async def test_the_request_carries_auth_the_deadline_and_the_webhook(fake: FakeReplicate) -> None:
    async with http_client() as http:
        hooked = ReplicateProvider(config(fake, webhook_url="https://edge.example/hook"), http)
        job = await hooked.submit(
            image_model("replicate", "acme/painter", max_duration_s=90), {"prompt": "x"}
        )
        method, path, headers = fake.requests[-1]
        assert (method, path) == ("POST", "/v1/models/acme/painter/predictions")
        assert headers["authorization"] == f"Bearer {fake.api_token}"
        assert headers["cancel-after"] == "90s"
        prediction = fake.predictions[job.job_id]
        assert prediction.webhook == "https://edge.example/hook"
        assert prediction.events == {"start", "logs", "completed"}
        assert prediction.deadline is not None

        by_version = await hooked.submit(
            image_model("replicate", f"acme/painter:{VERSION}"), {"prompt": "x"}
        )
        assert fake.requests[-1][1] == "/v1/predictions"
        assert fake.predictions[by_version.job_id].version == VERSION


@pytest.mark.parametrize(
    ("prompt", "error", "fault"),
    [
        ("[fake:invalid] a fox", InvalidInput, Fault.USER),
        ("[fake:quota] a fox", ProviderQuotaExceeded, Fault.PROVIDER),
        ("[fake:server-error] a fox", ProviderUnavailable, Fault.PROVIDER),
        ("[fake:rate-limit] a fox", RateLimited, Fault.PROVIDER),
    ],
)
async def test_refusals_at_create_are_classified(
    replicate: ReplicateProvider, prompt: str, error: type[Exception], fault: Fault
) -> None:
    with pytest.raises(error) as refused:
        await replicate.submit(FLUX, {"prompt": prompt})
    assert refused.value.fault is fault  # type: ignore[attr-defined]


async def test_a_429_hands_on_its_retry_after(
    fake: FakeReplicate, replicate: ReplicateProvider
) -> None:
    fake.faults.rate_limit(times=1, retry_after_s=7)
    with pytest.raises(RateLimited) as limited:
        await replicate.submit(FLUX, {"prompt": "a fox"})
    assert limited.value.retry_after == 7.0


async def test_a_refused_key_is_the_providers_fault(fake: FakeReplicate) -> None:
    async with http_client() as http:
        wrong = ReplicateProvider(config(fake, api_key="r8_wrong"), http)
        with pytest.raises(ProviderAuthFailed) as refused:
            await wrong.submit(FLUX, {"prompt": "a fox"})
    assert refused.value.fault is Fault.PROVIDER


async def test_an_unknown_version_is_not_the_users_fault(replicate: ReplicateProvider) -> None:
    with pytest.raises(ProviderUnavailable):
        await replicate.submit(image_model("replicate", "f" * 63 + "g"), {"prompt": "a fox"})


async def test_a_hanging_answer_times_out_as_the_providers_fault(fake: FakeReplicate) -> None:
    fake.faults.hang()
    async with http_client() as http:
        impatient = ReplicateProvider(config(fake, request_timeout_s=0.3), http)
        with pytest.raises(ProviderTimeout):
            await impatient.submit(FLUX, {"prompt": "a fox"})


async def test_an_unreachable_provider_is_unavailable() -> None:
    async with http_client() as http:
        gone = RemoteProviderConfig("replicate", "http://127.0.0.1:9/v1", "r8_x")
        with pytest.raises(ProviderUnavailable):
            await ReplicateProvider(gone, http).submit(FLUX, {"prompt": "a fox"})


@pytest.mark.parametrize(
    ("prompt", "error"),
    [("[fake:nsfw] a fox", ContentPolicy), ("[fake:fail] a fox", ProviderUnavailable)],
)
async def test_failed_predictions_are_classified(
    replicate: ReplicateProvider, prompt: str, error: type[Exception]
) -> None:
    job = await replicate.submit(FLUX, {"prompt": prompt})
    status = await status_when(replicate, job, lambda s: s.state.terminal)
    assert status.state is JobState.FAILED
    assert isinstance(status.error, error)


async def test_cancel_stops_a_running_prediction(
    fake: FakeReplicate, replicate: ReplicateProvider
) -> None:
    fake.pace.manual = True
    job = await replicate.submit(FLUX, {"prompt": "a fox"})
    await fake.pace.release(2)
    await status_when(replicate, job, lambda s: s.state is JobState.RUNNING)
    await replicate.cancel(job)
    assert (await replicate.poll(job)).state is JobState.CANCELED


async def test_cancel_is_safe_on_finished_and_unknown_predictions(
    replicate: ReplicateProvider,
) -> None:
    job = await replicate.submit(FLUX, {"prompt": "a fox"})
    await status_when(replicate, job, lambda s: s.state.terminal)
    await replicate.cancel(job)
    assert (await replicate.poll(job)).state is JobState.SUCCEEDED
    await replicate.cancel(ProviderJob("replicate", "doesnotexist0000"))
    await replicate.cancel(ProviderJob("replicate", "../../etc/passwd"))


async def test_an_unknown_prediction_polls_as_lost(replicate: ReplicateProvider) -> None:
    status = await replicate.poll(ProviderJob("replicate", "doesnotexist0000"))
    assert status.state is JobState.FAILED
    assert isinstance(status.error, ProviderUnavailable)


async def test_output_urls_expire_and_the_data_is_removed(
    fake: FakeReplicate, replicate: ReplicateProvider
) -> None:
    job = await replicate.submit(FLUX, {"prompt": "a fox"})
    status = await status_when(replicate, job, lambda s: s.state.terminal)
    url = status.outputs[0].url
    assert (await download(url)).status_code == 200
    fake.files.expire_all()
    assert (await download(url)).status_code == 404
    fake.files.ttl_s = 0  # an hour later, Replicate answers output: null, data_removed: true
    removed = await replicate.poll(job)
    assert removed.state is JobState.FAILED
    assert isinstance(removed.error, ProviderUnavailable)
