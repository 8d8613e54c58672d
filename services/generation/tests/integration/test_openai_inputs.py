"""The OpenAI adapter's input files: an image-to-image request becomes an edit whose images are
read from our own file server (or an allowed origin) and uploaded to the fake byte for byte;
a foreign origin, an oversized file, an expired URL or a file that is not an image is refused
as the user's invalid input."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
from services.generation.tests.inline_support import (
    Clock,
    download,
    inline_outputs,
    model,
    picture,
)
from services.generation.tests.remote_support import finished

from atelier_generation.providers import errors
from atelier_generation.providers.inline_outputs import InlineOutputs
from atelier_generation.providers.input_fetch import InputFetcher, InputFilesConfig
from atelier_generation.providers.job import JobState
from atelier_generation.providers.openai.provider import OpenAIProvider
from atelier_generation.providers.registry import AdapterKit, remote_providers
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_generation.providers.served_files import ServedFilesConfig, serving_files
from atelier_testing.provider_fakes.common_inline import serving
from atelier_testing.provider_fakes.common_inline_media import wav_bytes
from atelier_testing.provider_fakes.openai import OpenAIFake

GPT = model("openai", "gpt-image-1")


def openai_client(fake: OpenAIFake) -> openai.OpenAI:
    return openai.OpenAI(api_key=fake.api_key, base_url=f"{fake.base_url}/v1", max_retries=0)


@dataclass
class Setup:
    provider: OpenAIProvider
    files: InlineOutputs
    clock: Clock

    async def url_of(self, data: bytes, content_type: str = "image/png") -> str:
        return (await self.files.publish(data, content_type)).url


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with serving(OpenAIFake()) as running:
        yield running


@contextlib.asynccontextmanager
async def adapter(
    fake: OpenAIFake, folder: Path, *, max_bytes: int = 1 << 20
) -> AsyncIterator[Setup]:
    config = RemoteProviderConfig("openai", f"{fake.base_url}/v1", "sk-fake-openai")
    clock = Clock()
    async with (
        httpx.AsyncClient(trust_env=False) as http,
        inline_outputs(folder / "files", clock) as outputs,
    ):
        # Our own file server is the one allowed origin, as the registry sets it up.
        fetcher = InputFetcher(
            http, allowed_origins=[outputs.base_url], max_bytes=max_bytes, timeout_s=5.0,
            provider="openai",
        )  # fmt: skip
        provider = OpenAIProvider(config, http, outputs, inputs=fetcher)
        try:
            yield Setup(provider, outputs, clock)
        finally:
            await provider.close()


def png(colour: str, size: tuple[int, int] = (8, 8)) -> bytes:
    return picture("PNG", colour, size)


def jpeg(colour: str) -> bytes:
    return picture("JPEG", colour)


async def test_an_input_image_is_uploaded_to_the_edits_endpoint_byte_for_byte(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    picture = jpeg("red")
    async with adapter(fake, tmp_path) as setup:
        url = await setup.url_of(picture, "image/jpeg")
        job = await setup.provider.submit(
            GPT, {"prompt": "as a watercolour", "image_url": url, "strength": 0.5}
        )
        status = await finished(setup.provider, job)
    assert status.state is JobState.SUCCEEDED, status.error
    assert fake.calls[-1] == ("edits", "gpt-image-1", "as a watercolour")
    (upload,) = fake.uploads
    assert upload[0] == "image"
    assert upload[2:] == ("image/jpeg", picture)


async def test_several_images_and_a_mask_go_as_repeated_parts_in_order(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    first, second, mask = png("red"), png("blue"), png("white")
    async with adapter(fake, tmp_path) as setup:
        params = {
            "prompt": "together",
            "image_urls": [await setup.url_of(first), await setup.url_of(second)],
            "mask_url": await setup.url_of(mask),
            "num_outputs": 2,
        }
        status = await finished(setup.provider, await setup.provider.submit(GPT, params))
    assert status.state is JobState.SUCCEEDED, status.error
    assert len(status.outputs) == 2
    assert [(u[0], u[3]) for u in fake.uploads] == [
        ("image[]", first), ("image[]", second), ("mask", mask),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "https://user:secret@media.example/cat.png",
        "not a url",
    ],
)
async def test_a_url_of_another_origin_is_refused_at_submit_and_never_read(
    fake: OpenAIFake, tmp_path: Path, url: str
) -> None:
    async with adapter(fake, tmp_path) as setup:
        with pytest.raises(errors.InvalidInput) as refused:
            await setup.provider.submit(GPT, {"prompt": "x", "image_url": url})
    assert refused.value.message.startswith("image_url: ")
    assert refused.value.fault is errors.Fault.USER
    assert not fake.calls


async def test_the_fakes_own_files_are_another_origin_too(fake: OpenAIFake, tmp_path: Path) -> None:
    async with adapter(fake, tmp_path) as setup:
        with pytest.raises(errors.InvalidInput):
            await setup.provider.submit(
                GPT, {"prompt": "x", "image_urls": [f"{fake.base_url}/files/anything.png"]}
            )


async def _failed(setup: Setup, params: dict[str, object]) -> errors.ProviderError:
    status = await finished(setup.provider, await setup.provider.submit(GPT, params))
    assert status.state is JobState.FAILED
    assert status.error is not None
    return status.error


async def test_an_input_over_the_size_limit_is_the_users_invalid_input(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake, tmp_path, max_bytes=4096) as setup:
        url = await setup.url_of(png("red", (256, 256)) + bytes(8192))
        error = await _failed(setup, {"prompt": "x", "image_url": url})
    assert isinstance(error, errors.InvalidInput)
    assert error.message == "image_url: larger than 4,096 bytes"
    assert not fake.calls


async def test_an_input_that_is_not_an_image_is_the_users_invalid_input(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake, tmp_path) as setup:
        url = await setup.url_of(wav_bytes(0.1, 440.0), "image/png")  # a lying type
        error = await _failed(setup, {"prompt": "x", "image_url": url})
        mask = await setup.url_of(jpeg("white"), "image/jpeg")
        bad_mask = await _failed(
            setup, {"prompt": "x", "image_url": await setup.url_of(png("red")), "mask_url": mask}
        )
    assert isinstance(error, errors.InvalidInput)
    assert error.message == "image_url: must be a PNG, JPEG or WebP image"
    assert isinstance(bad_mask, errors.InvalidInput)
    assert bad_mask.message == "mask_url: must be a PNG image"
    assert not fake.calls


async def test_an_expired_input_url_is_the_users_invalid_input(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    async with adapter(fake, tmp_path) as setup:
        url = await setup.url_of(png("red"))
        setup.clock.now += 3601
        error = await _failed(setup, {"prompt": "x", "image_url": url})
    assert isinstance(error, errors.InvalidInput)
    assert "answered 404" in error.message


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"image_urls": "http://x"}, "image_urls"),
        ({"image_urls": [1]}, "image_urls[0]"),
        ({"image_urls": ["http://x"] * 17}, "image_urls"),
        ({"mask_url": "http://x"}, "mask_url"),
    ],
)
async def test_malformed_input_params_are_refused_naming_the_field(
    fake: OpenAIFake, tmp_path: Path, params: dict[str, object], field: str
) -> None:
    async with adapter(fake, tmp_path) as setup:
        with pytest.raises(errors.InvalidInput) as refused:
            await setup.provider.submit(GPT, {"prompt": "x", **params})
    assert refused.value.message.startswith(f"{field}: ")


async def test_without_an_input_fetcher_an_edit_is_a_configuration_fault(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    config = RemoteProviderConfig("openai", f"{fake.base_url}/v1", "sk-fake-openai")
    async with (
        httpx.AsyncClient(trust_env=False) as http,
        inline_outputs(tmp_path / "files") as outputs,
    ):
        provider = OpenAIProvider(config, http, outputs)
        with pytest.raises(errors.ProviderUnavailable):
            await provider.submit(GPT, {"prompt": "x", "image_url": "http://127.0.0.1:1/a.png"})


async def test_the_registry_lets_adapters_read_our_files_and_the_configured_origins_only(
    fake: OpenAIFake, tmp_path: Path
) -> None:
    # The fake's own file host stands in for the media bucket: allowed by configuration.
    dall_e = await asyncio.to_thread(
        openai_client(fake).images.generate, model="dall-e-2", prompt="a cat"
    )
    assert dall_e.data is not None
    bucket_url = dall_e.data[0].url or ""
    config = RemoteProviderConfig("openai", f"{fake.base_url}/v1", "sk-fake-openai")
    inputs = InputFilesConfig(origins=(fake.base_url,), max_bytes=1 << 20, timeout_s=5.0)
    async with serving_files(ServedFilesConfig(folder=tmp_path), prefix="t-") as served:
        kit = AdapterKit(served=served, inputs=inputs)
        async with remote_providers([config], kit=kit) as providers:
            provider = providers["openai"]
            assert isinstance(provider, OpenAIProvider)
            ours = (await kit.inline().publish(png("red"), "image/png")).url
            for url in (ours, bucket_url):
                job = await provider.submit(GPT, {"prompt": "again", "image_url": url})
                assert (await finished(provider, job)).state is JobState.SUCCEEDED
            with pytest.raises(errors.InvalidInput):
                await provider.submit(
                    GPT, {"prompt": "x", "image_url": "https://elsewhere.example/a.png"}
                )
    bucket_file = (await download(bucket_url)).content
    assert [u[3] for u in fake.uploads] == [png("red"), bucket_file]
