"""An image edit's files: the input images (and mask) read from their URLs and laid out as the
multipart parts OpenAI takes — `image` for one file, repeated `image[]` for several (as the
official client sends them), `mask` for the mask, each with its true content type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atelier_generation.providers.errors import InvalidInput, ProviderUnavailable
from atelier_generation.providers.input_fetch import InputFetcher
from atelier_generation.providers.input_images import SUFFIXES, image_type
from atelier_generation.providers.input_params import image_urls
from atelier_generation.providers.openai.wire import PROVIDER

# GPT image models take up to 16 images, each a PNG, JPEG or WebP; the mask is a PNG.
MAX_IMAGES = 16
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
MASK_TYPES = frozenset({"image/png"})
Part = tuple[str, tuple[str, bytes, str]]


def inputs_of(params: Mapping[str, Any], fetcher: InputFetcher | None) -> list[list[str]]:
    """[part, field, URL] of each file an edit sends (none: a plain generation), each URL
    checked now, so a refused one fails the submit at once; InvalidInput names the field."""
    images = image_urls(params, provider=PROVIDER)
    if not images:
        if "mask_url" in params:
            raise InvalidInput("mask_url: needs an image_url to apply to", provider=PROVIDER)
        return []
    if len(images) > MAX_IMAGES:
        raise InvalidInput(f"image_urls: at most {MAX_IMAGES} images", provider=PROVIDER)
    if fetcher is None:
        raise ProviderUnavailable("input files are not set up for this adapter", provider=PROVIDER)
    part = "image" if len(images) == 1 else "image[]"
    found = [[part, field, url] for field, url in images]
    if "mask_url" in params:
        found.append(["mask", "mask_url", params["mask_url"]])
    for _, field, url in found:
        fetcher.check(field, url)
    return found


async def parts(inputs: list[list[str]], fetcher: InputFetcher | None) -> list[Part]:
    """The multipart file parts, read now (inside the job, within its deadline)."""
    if fetcher is None:
        raise ProviderUnavailable("input files are not set up for this adapter", provider=PROVIDER)
    found: list[Part] = []
    for number, (part, field, url) in enumerate(inputs):
        data = await fetcher.fetch(field, url)
        accepted = MASK_TYPES if part == "mask" else IMAGE_TYPES
        content_type = image_type(field, data, accepted, provider=PROVIDER)
        name = f"{part.rstrip('[]')}-{number}.{SUFFIXES[content_type]}"
        found.append((part, (name, data, content_type)))
    return found
