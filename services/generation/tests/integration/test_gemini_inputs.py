"""The Gemini adapter's input files: images read from our own file server (or an allowed
origin) reach the fake inline, byte for byte with their true type — as parts of a
generateContent call, or as a Veo video's first frame — and a foreign origin, an oversized
file or a file that is not an image is refused as the user's invalid input."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from services.generation.tests.inline_support import inline_outputs, model, picture
from services.generation.tests.remote_support import finished

from atelier_generation.providers import errors
from atelier_generation.providers.gemini.provider import GeminiProvider
from atelier_generation.providers.inline_outputs import InlineOutputs
from atelier_generation.providers.input_fetch import InputFetcher
from atelier_generation.providers.job import JobState
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_testing.provider_fakes.common_inline import serving
from atelier_testing.provider_fakes.common_inline_media import wav_bytes
from atelier_testing.provider_fakes.gemini import GeminiFake

IMAGE = model("gemini", "gemini-2.5-flash-image")
VEO = model("gemini", "veo-3.0-generate-001", kind="video", content_type="video/mp4")


@dataclass
class Setup:
    provider: GeminiProvider
    files: InlineOutputs

    async def url_of(self, data: bytes, content_type: str = "image/png") -> str:
        return (await self.files.publish(data, content_type)).url


@pytest.fixture
def fake() -> Iterator[GeminiFake]:
    with serving(GeminiFake()) as running:
        yield running


@contextlib.asynccontextmanager
async def adapter(
    fake: GeminiFake, folder: Path, *, max_bytes: int = 1 << 20
) -> AsyncIterator[Setup]:
    config = RemoteProviderConfig("gemini", f"{fake.base_url}/v1beta", fake.api_key)
    async with httpx.AsyncClient(trust_env=False) as http, inline_outputs(folder / "files") as out:
        fetcher = InputFetcher(
            http, allowed_origins=[out.base_url], max_bytes=max_bytes, timeout_s=5.0,
            provider="gemini",
        )  # fmt: skip
        provider = GeminiProvider(config, http, out, inputs=fetcher)
        try:
            yield Setup(provider, out)
        finally:
            await provider.close()


async def test_input_images_reach_generate_content_inline_byte_for_byte(
    fake: GeminiFake, tmp_path: Path
) -> None:
    first, second = picture("JPEG", "red"), picture("WEBP", "blue")
    async with adapter(fake, tmp_path) as setup:
        params = {
            "prompt": "these two, together",
            "image_url": await setup.url_of(first, "image/jpeg"),
            "image_urls": [await setup.url_of(second, "application/octet-stream")],
        }
        status = await finished(setup.provider, await setup.provider.submit(IMAGE, params))
    assert status.state is JobState.SUCCEEDED, status.error
    assert fake.calls == [("generateContent", "gemini-2.5-flash-image", "these two, together")]
    assert fake.images == [
        ("generateContent", "image/jpeg", first),
        ("generateContent", "image/webp", second),
    ]


async def test_a_veo_video_starts_from_the_input_image(fake: GeminiFake, tmp_path: Path) -> None:
    frame = picture("PNG", "green")
    async with adapter(fake, tmp_path) as setup:
        params = {"prompt": "it moves", "image_url": await setup.url_of(frame)}
        status = await finished(setup.provider, await setup.provider.submit(VEO, params))
    assert status.state is JobState.SUCCEEDED, status.error
    assert fake.images == [("predictLongRunning", "image/png", frame)]


@pytest.mark.parametrize("target", [IMAGE, VEO])
async def test_a_url_of_another_origin_is_refused_at_submit_and_never_read(
    fake: GeminiFake, tmp_path: Path, target: object
) -> None:
    async with adapter(fake, tmp_path) as setup:
        with pytest.raises(errors.InvalidInput) as refused:
            await setup.provider.submit(
                IMAGE if target is IMAGE else VEO,
                {"prompt": "x", "image_url": "http://169.254.169.254/computeMetadata/v1/"},
            )
    assert refused.value.message.startswith("image_url: ")
    assert refused.value.provider == "gemini"
    assert not fake.calls


async def test_an_oversized_first_frame_fails_the_submit_as_the_users_fault(
    fake: GeminiFake, tmp_path: Path
) -> None:
    async with adapter(fake, tmp_path, max_bytes=2048) as setup:
        url = await setup.url_of(picture("PNG", "red") + bytes(4096))
        with pytest.raises(errors.InvalidInput) as refused:
            await setup.provider.submit(VEO, {"prompt": "x", "image_url": url})
    assert refused.value.message == "image_url: larger than 2,048 bytes"
    assert not fake.calls


async def test_an_oversized_or_non_image_input_fails_the_image_job_as_the_users_fault(
    fake: GeminiFake, tmp_path: Path
) -> None:
    async with adapter(fake, tmp_path, max_bytes=2048) as setup:
        large = await setup.url_of(picture("PNG", "red") + bytes(4096))
        sound = await setup.url_of(wav_bytes(0.01, 440.0), "image/png")
        too_large = await finished(
            setup.provider, await setup.provider.submit(IMAGE, {"prompt": "x", "image_url": large})
        )
        not_image = await finished(
            setup.provider, await setup.provider.submit(IMAGE, {"prompt": "x", "image_url": sound})
        )
    assert isinstance(too_large.error, errors.InvalidInput)
    assert too_large.error.message == "image_url: larger than 2,048 bytes"
    assert isinstance(not_image.error, errors.InvalidInput)
    assert not_image.error.message == "image_url: must be a PNG, JPEG or WebP image"
    assert not fake.calls


async def test_too_many_images_or_several_first_frames_are_refused(
    fake: GeminiFake, tmp_path: Path
) -> None:
    async with adapter(fake, tmp_path) as setup:
        url = await setup.url_of(picture("PNG"))
        with pytest.raises(errors.InvalidInput):
            await setup.provider.submit(IMAGE, {"prompt": "x", "image_urls": [url] * 4})
        with pytest.raises(errors.InvalidInput) as several:
            await setup.provider.submit(VEO, {"prompt": "x", "image_urls": [url, url]})
    assert several.value.message == "image_urls: a video starts from one image"
    assert not fake.calls
