"""Gemini's input images: read from their URLs (allowed origins only, bounded) and sent inline,
base64 with their true type — as `inlineData` parts of a generateContent call, or as the
`image` of a Veo instance (the first frame of the video)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from atelier_generation.providers.errors import InvalidInput, ProviderUnavailable
from atelier_generation.providers.input_fetch import InputFetcher
from atelier_generation.providers.input_images import image_type
from atelier_generation.providers.input_params import image_urls

PROVIDER = "gemini"
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
# A request carries at most 20 MB inline; a few images fit, many do not.
MAX_IMAGES = 3


def checked_urls(params: Mapping[str, Any], fetcher: InputFetcher | None) -> list[list[str]]:
    """[field, URL] of each input image, checked now so a refused one fails the submit."""
    found = image_urls(params, provider=PROVIDER)
    if not found:
        return []
    if len(found) > MAX_IMAGES:
        raise InvalidInput(f"image_urls: at most {MAX_IMAGES} images", provider=PROVIDER)
    if fetcher is None:
        raise ProviderUnavailable("input files are not set up for this adapter", provider=PROVIDER)
    for field, url in found:
        fetcher.check(field, url)
    return [[field, url] for field, url in found]


async def inline_images(
    inputs: list[list[str]], fetcher: InputFetcher | None
) -> list[dict[str, str]]:
    """`{mimeType, data}` of each input image, read now."""
    images = []
    for field, url in inputs:
        if fetcher is None:
            raise ProviderUnavailable(
                "input files are not set up for this adapter", provider=PROVIDER
            )
        data = await fetcher.fetch(field, url)
        content_type = image_type(field, data, IMAGE_TYPES, provider=PROVIDER)
        images.append({"mimeType": content_type, "data": base64.b64encode(data).decode()})
    return images


def with_images(body: dict[str, Any], images: list[dict[str, str]]) -> dict[str, Any]:
    """A generateContent body with the images as parts after the prompt's text."""
    parts = body["contents"][0]["parts"]
    return body | {
        "contents": [{"role": "user", "parts": [*parts, *({"inlineData": i} for i in images)]}]
    }


def with_first_frame(body: dict[str, Any], images: list[dict[str, str]]) -> dict[str, Any]:
    """A Veo request whose video starts from the (one) input image."""
    if not images:
        return body
    if len(images) > 1:
        raise InvalidInput("image_urls: a video starts from one image", provider=PROVIDER)
    frame = {"bytesBase64Encoded": images[0]["data"], "mimeType": images[0]["mimeType"]}
    instance = body["instances"][0] | {"image": frame}
    return body | {"instances": [instance]}
