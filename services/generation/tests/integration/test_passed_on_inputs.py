"""Replicate and fal read input files themselves: the adapters hand the URLs (or base64 data
URLs) on in the model's input exactly as given, and refuse before sending anything a value the
provider could never read — a local file, credentials in a URL, a data URL that is not media."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from services.generation.tests.remote_support import http_client, image_model

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import InvalidInput
from atelier_generation.providers.fal.provider import FalProvider
from atelier_generation.providers.provider import Provider
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_generation.providers.replicate.provider import ReplicateProvider
from atelier_testing.provider_fakes.common_inline_media import image_bytes
from atelier_testing.provider_fakes.fal import FakeFal
from atelier_testing.provider_fakes.replicate import FakeReplicate

PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(image_bytes(4, 4, "png")).decode()


@dataclass
class Target:
    provider: Provider
    model: Model
    # The input the fake recorded for a job id, and how many jobs it was sent.
    input_of: Callable[[str], dict[str, Any]]
    sent: Callable[[], int]


@pytest.fixture(params=["replicate", "fal"])
async def target(request: pytest.FixtureRequest) -> AsyncIterator[Target]:
    async with http_client() as http:
        if request.param == "replicate":
            async with FakeReplicate() as replicate:
                config = RemoteProviderConfig("replicate", replicate.api_url, replicate.api_token)
                yield Target(
                    ReplicateProvider(config, http),
                    image_model("replicate", "owner/upscaler"),
                    lambda job: replicate.predictions[job].input,
                    lambda: len(replicate.predictions),
                )
        else:
            async with FakeFal() as fal:
                config = RemoteProviderConfig("fal", fal.url, fal.key)
                yield Target(
                    FalProvider(config, http, jwks_url=fal.jwks_url),
                    image_model("fal", "fal-ai/upscaler"),
                    lambda job: fal.requests[job].arguments,
                    lambda: len(fal.requests),
                )


@pytest.mark.parametrize(
    "inputs",
    [
        {"image_url": "https://media.example/in/cat.png?X-Amz-Signature=abc%2F"},
        {"image_url": PNG_DATA_URL},
        {
            "image_urls": ["https://media.example/a.webp", PNG_DATA_URL],
            "audio_url": "http://s/a.mp3",
        },
        {"image": "https://media.example/model-named-field.jpg"},
    ],
)
async def test_input_urls_reach_the_provider_exactly_as_given(
    target: Target, inputs: dict[str, Any]
) -> None:
    params = {"prompt": "sharper", **inputs}
    job = await target.provider.submit(target.model, params)
    assert target.input_of(job.job_id) == params


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"image_url": "file:///etc/passwd"}, "image_url"),
        ({"image_url": "https://user:secret@media.example/a.png"}, "image_url"),
        ({"image_url": "data:text/html;base64,PGgxPg=="}, "image_url"),
        ({"image_url": "data:image/png;base64,not base64!"}, "image_url"),
        ({"image_url": "https://media.example/a.png\x00"}, "image_url"),
        ({"image_urls": ["https://ok.example/a.png", 12]}, "image_urls[1]"),
        ({"mask_url": "https://" + "x" * 9000}, "mask_url"),
    ],
)
async def test_an_input_the_provider_could_never_read_is_refused_before_sending(
    target: Target, inputs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await target.provider.submit(target.model, {"prompt": "x", **inputs})
    assert refused.value.message == f"{field}: must be an http(s) URL or a base64 data URL"
    assert target.sent() == 0
