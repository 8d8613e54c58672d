"""The Gemini adapter against the Gemini fake over real HTTP: images from `generateContent`
published as expiring URLs of ours, Veo videos through the long-running operation and
downloaded with our key, every failure typed."""

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
    Progress,
    download,
    inline_outputs,
    model,
)
from services.generation.tests.remote_support import finished

from atelier_generation.providers import errors
from atelier_generation.providers.completion import call_and_wait_for_completion
from atelier_generation.providers.gemini.provider import GeminiProvider
from atelier_generation.providers.gemini.video_download import download_video
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_testing.provider_fakes.common_inline import serving
from atelier_testing.provider_fakes.gemini import GeminiFake

IMAGE = model("gemini", "gemini-2.5-flash-image")
VEO = model("gemini", "veo-3.0-generate-001", kind="video", content_type="video/mp4")


@pytest.fixture
def fake() -> Iterator[GeminiFake]:
    with serving(GeminiFake(retry_delay_s=7)) as running:
        yield running


def config(fake: GeminiFake, key: str | None = None) -> RemoteProviderConfig:
    return RemoteProviderConfig("gemini", f"{fake.base_url}/v1beta", key or fake.api_key)


@contextlib.asynccontextmanager
async def adapter(
    fake: GeminiFake, folder: Path, key: str | None = None
) -> AsyncIterator[GeminiProvider]:
    async with httpx.AsyncClient(trust_env=False) as http, inline_outputs(folder / "files") as out:
        provider = GeminiProvider(config(fake, key), http, out, journal=folder / "journal")
        try:
            yield provider
        finally:
            await provider.close()


async def test_an_image_is_published_as_our_own_expiring_url(
    fake: GeminiFake, tmp_path: Path
) -> None:
    async with adapter(fake, tmp_path) as provider:
        progress = Progress()
        done = await call_and_wait_for_completion(
            provider, IMAGE, {"prompt": "a fox", "aspect_ratio": "16:9"}, progress,
            schedule=FAST_POLLS,
        )  # fmt: skip
        (output,) = done.outputs
        assert not output.url.startswith(fake.base_url)
        assert output.content_type == "image/png"
        assert output.expires_at is not None
        picture = Image.open(io.BytesIO((await download(output.url)).content))
    assert picture.size == (112, 63)
    assert progress.seen[-1].detail.startswith("usage: prompt_tokens=")


@pytest.mark.parametrize(
    ("prompt", "error_type"),
    [
        ("[fake:image-safety]", errors.ContentPolicy),
        ("[fake:blocked]", errors.ContentPolicy),
        ("[fake:text-only]", errors.ProviderUnavailable),
        ("[fake:503]", errors.ProviderUnavailable),
        ("[fake:500]", errors.ProviderUnavailable),
        ("[fake:garbage]", errors.ProviderUnavailable),
    ],
)
async def test_image_failures_are_typed_for_billing(
    fake: GeminiFake, tmp_path: Path, prompt: str, error_type: type[errors.ProviderError]
) -> None:
    async with adapter(fake, tmp_path) as provider:
        status = await finished(provider, await provider.submit(IMAGE, {"prompt": prompt}))
    assert type(status.error) is error_type


async def test_a_quota_429_carries_googles_retry_delay(fake: GeminiFake, tmp_path: Path) -> None:
    async with adapter(fake, tmp_path) as provider:
        status = await finished(provider, await provider.submit(IMAGE, {"prompt": "[fake:429]"}))
    assert isinstance(status.error, errors.RateLimited)
    assert status.error.retry_after == 7


async def test_a_key_google_calls_not_valid_is_the_providers_fault(
    fake: GeminiFake, tmp_path: Path
) -> None:
    async with adapter(fake, tmp_path, key="wrong") as provider:
        image = await finished(provider, await provider.submit(IMAGE, {"prompt": "a fox"}))
        with pytest.raises(errors.ProviderAuthFailed):
            await provider.submit(VEO, {"prompt": "a fox"})
    assert isinstance(image.error, errors.ProviderAuthFailed)


async def test_a_veo_video_runs_as_an_operation_and_is_served_by_us(
    fake: GeminiFake, tmp_path: Path
) -> None:
    fake.video_s = 0.3
    async with adapter(fake, tmp_path) as provider:
        job = await provider.submit(VEO, {"prompt": "waves", "duration": 8, "aspect_ratio": "9:16"})
        assert job.job_id.startswith("models/veo-3.0-generate-001/operations/")
        assert (await provider.poll(job)) == JobStatus(JobState.RUNNING, 50)
        status = await finished(provider, job)
        assert status.state is JobState.SUCCEEDED
        (output,) = status.outputs
        assert output.content_type == "video/mp4"
        assert not output.url.startswith(fake.base_url)
        assert (await download(output.url)).content[4:8] == b"ftyp"
    async with adapter(fake, tmp_path / "restarted") as restarted:
        assert (await restarted.poll(job)).state is JobState.SUCCEEDED


@pytest.mark.parametrize(
    ("prompt", "error_type"),
    [("[fake:video-error]", errors.ProviderUnavailable), ("[fake:filtered]", errors.ContentPolicy)],
)
async def test_veo_failures_are_typed(
    fake: GeminiFake, tmp_path: Path, prompt: str, error_type: type[errors.ProviderError]
) -> None:
    async with adapter(fake, tmp_path) as provider:
        status = await finished(provider, await provider.submit(VEO, {"prompt": prompt}))
    assert type(status.error) is error_type


async def test_a_parameter_veo_refuses_is_invalid_input(fake: GeminiFake, tmp_path: Path) -> None:
    async with adapter(fake, tmp_path) as provider:
        with pytest.raises(errors.InvalidInput):
            await provider.submit(VEO, {"prompt": "waves", "duration": 30})


async def test_cancel_and_unknown_jobs(fake: GeminiFake, tmp_path: Path) -> None:
    fake.video_s = 60
    async with adapter(fake, tmp_path) as provider:
        job = await provider.submit(VEO, {"prompt": "slow"})
        await provider.cancel(job)
        assert (await provider.poll(job)).state is JobState.CANCELED
        await provider.cancel(ProviderJob("gemini", "models/veo-3.0-generate-001/operations/nope"))
        gone = await provider.poll(
            ProviderJob("gemini", "models/veo-3.0-generate-001/operations/x")
        )
        odd = await provider.poll(ProviderJob("gemini", "models/../../v1beta/files/x"))
    assert isinstance(gone.error, errors.ProviderUnavailable)
    assert isinstance(odd.error, errors.ProviderUnavailable)


async def test_our_key_is_never_sent_to_another_host(fake: GeminiFake) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        with pytest.raises(errors.ProviderUnavailable, match="unexpected host"):
            await download_video(http, config(fake), "http://203.0.113.9/v1beta/files/a:download")


def test_it_sends_no_webhooks() -> None:
    provider = GeminiProvider.__new__(GeminiProvider)
    with pytest.raises(errors.WebhookRejected):
        provider.parse_webhook({}, b"{}")
