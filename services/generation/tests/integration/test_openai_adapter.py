"""The OpenAI adapter against the OpenAI fake over real HTTP: the synchronous images call run as
a job, its base64 pictures served as expiring URLs, every failure typed, and a restart that does
not pay twice."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from services.generation.tests.inline_support import (
    FAST_POLLS,
    Clock,
    Progress,
    closed_port,
    download,
    inline_outputs,
    model,
)
from services.generation.tests.remote_support import finished

from atelier_generation.providers import errors
from atelier_generation.providers.completion import call_and_wait_for_completion
from atelier_generation.providers.job import JobState, ProviderJob
from atelier_generation.providers.openai.provider import OpenAIProvider
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_testing.polling import eventually
from atelier_testing.provider_fakes.common_inline import serving
from atelier_testing.provider_fakes.openai import OpenAIFake

GPT = model("openai", "gpt-image-1")
DALL_E_3 = model("openai", "dall-e-3")


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with serving(OpenAIFake(retry_after_s=2.5, hang_s=5.0)) as running:
        yield running


@contextlib.asynccontextmanager
async def adapter(
    base_url: str, folder: Path, *, key: str = "sk-fake-openai", clock: Clock | None = None
) -> AsyncIterator[OpenAIProvider]:
    config = RemoteProviderConfig("openai", f"{base_url}/v1", key)
    async with (
        httpx.AsyncClient(trust_env=False) as http,
        inline_outputs(folder / "files", clock) as outputs,
    ):
        provider = OpenAIProvider(config, http, outputs, journal=folder / "journal")
        try:
            yield provider
        finally:
            await provider.close()


async def failure(provider: OpenAIProvider, prompt: str, m: object = GPT) -> errors.ProviderError:
    job = await provider.submit(GPT if m is GPT else DALL_E_3, {"prompt": prompt})
    status = await finished(provider, job)
    assert status.state is JobState.FAILED
    assert status.error is not None
    return status.error


async def test_a_generation_runs_as_a_job_to_a_downloadable_picture(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    fake.latency_s = 0.3
    async with adapter(fake.base_url, tmp_path) as provider:
        progress = Progress()
        done = await call_and_wait_for_completion(
            provider, GPT, {"prompt": "a fox", "num_outputs": 2, "output_format": "jpeg"},
            progress, schedule=FAST_POLLS,
        )  # fmt: skip
        assert [s.state for s in progress.seen][-1] is JobState.SUCCEEDED
        running = [s.progress for s in progress.seen if s.state is JobState.RUNNING]
        assert running
        assert all(0 < p < 100 for p in running)
        assert running == sorted(running)
        assert progress.seen[-1].detail.startswith("usage: input_tokens=")
        assert len(done.outputs) == 2
        for output in done.outputs:
            assert output.content_type == "image/jpeg"
            assert output.expires_at is not None
            answer = await download(output.url)
            assert answer.status_code == 200
            assert Image.open(io.BytesIO(answer.content)).format == "JPEG"
    assert fake.calls[-1][:2] == ("generations", "gpt-image-1")


async def test_a_dall_e_url_is_passed_on_with_its_sixty_minute_expiry(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake.base_url, tmp_path) as provider:
        job = await provider.submit(DALL_E_3, {"prompt": "a lighthouse", "response_format": "url"})
        status = await finished(provider, job)
    assert status.state is JobState.SUCCEEDED
    (output,) = status.outputs
    assert output.url.startswith(fake.base_url)
    assert output.expires_at is not None
    assert (await download(output.url)).status_code == 200


async def test_our_urls_expire(fake: OpenAIFake, tmp_path: Path) -> None:
    clock = Clock()
    async with adapter(fake.base_url, tmp_path, clock=clock) as provider:
        status = await finished(provider, await provider.submit(GPT, {"prompt": "a cat"}))
        url = status.outputs[0].url
        assert (await download(url)).status_code == 200
        clock.now += 3601
        assert (await download(url)).status_code == 404


@pytest.mark.parametrize(
    ("prompt", "error_type"),
    [
        ("[fake:moderation]", errors.ContentPolicy),
        ("[fake:quota]", errors.ProviderQuotaExceeded),
        ("[fake:500]", errors.ProviderUnavailable),
        ("[fake:503]", errors.ProviderUnavailable),
        ("[fake:garbage]", errors.ProviderUnavailable),
        ("[fake:empty]", errors.ProviderUnavailable),
        ("x" * 100_000 + "\x00", errors.InvalidInput),
    ],
)
async def test_failures_are_typed_for_billing(
    fake: OpenAIFake, tmp_path: Path, prompt: str, error_type: type[errors.ProviderError]
) -> None:
    async with adapter(fake.base_url, tmp_path) as provider:
        error = await failure(provider, prompt)
    assert type(error) is error_type
    assert error.provider == "openai"


async def test_a_rate_limit_carries_the_providers_retry_after(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake.base_url, tmp_path) as provider:
        error = await failure(provider, "[fake:429]")
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == 2.5


async def test_a_refused_key_is_the_providers_fault_not_the_users(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake.base_url, tmp_path, key="sk-wrong") as provider:
        error = await failure(provider, "a fox")
    assert isinstance(error, errors.ProviderAuthFailed)
    assert error.fault is errors.Fault.PROVIDER


async def test_a_parameter_the_model_refuses_is_invalid_input_naming_it(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake.base_url, tmp_path) as provider:
        job = await provider.submit(DALL_E_3, {"prompt": "a fox", "num_outputs": 2})
        status = await finished(provider, job)
    assert isinstance(status.error, errors.InvalidInput)
    assert "400: n: " in status.error.message


async def test_no_answer_within_the_models_deadline_is_a_provider_timeout(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    quick = model("openai", "gpt-image-1", max_duration_s=1)
    async with adapter(fake.base_url, tmp_path) as provider:
        status = await finished(provider, await provider.submit(quick, {"prompt": "[fake:hang]"}))
    assert isinstance(status.error, errors.ProviderTimeout)


async def test_an_unreachable_provider_is_unavailable(tmp_path: Path) -> None:
    with closed_port() as nowhere:
        async with adapter(nowhere, tmp_path) as provider:
            error = await failure(provider, "a fox")
    assert isinstance(error, errors.ProviderUnavailable)


async def test_cancel_stops_a_running_job_and_is_safe_on_finished_or_unknown_ones(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake.base_url, tmp_path) as provider:
        running = await provider.submit(GPT, {"prompt": "[fake:hang]"})
        await provider.cancel(running)
        assert (await provider.poll(running)).state is JobState.CANCELED
        done = await provider.submit(GPT, {"prompt": "a fox"})
        assert (await finished(provider, done)).state is JobState.SUCCEEDED
        await provider.cancel(done)
        assert (await provider.poll(done)).state is JobState.SUCCEEDED
        await provider.cancel(ProviderJob("openai", "openai-000000000000000000000000"))
        await provider.cancel(ProviderJob("openai", "../../etc/passwd"))
        unknown = await provider.poll(ProviderJob("openai", "../../etc/passwd"))
    assert isinstance(unknown.error, errors.ProviderUnavailable)


async def test_a_restart_answers_a_finished_job_from_the_journal_without_paying_again(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake.base_url, tmp_path) as before:
        job = await before.submit(GPT, {"prompt": "paid once"})
        assert (await finished(before, job)).state is JobState.SUCCEEDED
    async with adapter(fake.base_url, tmp_path) as after:
        status = await after.poll(job)
        assert status.state is JobState.SUCCEEDED
        assert (await download(status.outputs[0].url)).status_code == 200
    assert fake.calls_with("paid once") == 1


async def test_a_call_cut_off_by_a_restart_is_sent_again_on_the_next_poll(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake.base_url, tmp_path) as before:
        job = await before.submit(GPT, {"prompt": "cut off [fake:hang:1]"})
        await eventually(lambda: _sent(fake, "cut off"), what="the call reached OpenAI")
        assert (await before.poll(job)).state is JobState.RUNNING
    async with adapter(fake.base_url, tmp_path) as after:
        status = await finished(after, job)
    assert status.state is JobState.SUCCEEDED
    assert fake.calls_with("cut off") == 2


async def test_a_failure_survives_a_restart_with_its_classification(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake.base_url, tmp_path) as before:
        job = await before.submit(GPT, {"prompt": "[fake:moderation]"})
        await finished(before, job)
    async with adapter(fake.base_url, tmp_path) as after:
        status = await after.poll(job)
    assert isinstance(status.error, errors.ContentPolicy)


async def _sent(fake: OpenAIFake, prompt: str) -> bool:
    return fake.calls_with(prompt) > 0


def test_it_sends_no_webhooks(tmp_path: Path) -> None:
    provider = OpenAIProvider.__new__(OpenAIProvider)
    with pytest.raises(errors.WebhookRejected):
        provider.parse_webhook({}, b"{}")
