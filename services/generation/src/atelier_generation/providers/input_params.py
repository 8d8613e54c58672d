"""Which params name input files, and the check of a URL handed on to a provider that reads it.

The catalogue's convention: an input file is a param named `<what>_url` (`image_url`,
`audio_url`, `mask_url`), or `<what>_urls` for a list of them (`image_urls`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from atelier_generation.providers.errors import InvalidInput

# A data URL's media type and base64 payload: `data:image/png;base64,...`.
_DATA_URL = re.compile(r"^data:(image|audio|video)/[A-Za-z0-9.+-]{1,50};base64,", re.ASCII)
MAX_URL_CHARS = 8192
# Replicate advises data URLs only for files up to 256 KB: base64 makes that about 350,000 chars.
MAX_DATA_URL_CHARS = 350_000


def image_urls(params: Mapping[str, Any], *, provider: str = "") -> list[tuple[str, str]]:
    """(field, URL) of each input image: `image_url`, then every `image_urls[i]`."""
    found: list[tuple[str, str]] = []
    if "image_url" in params:
        found.append(("image_url", params["image_url"]))
    listed = params.get("image_urls")
    if isinstance(listed, list):
        found.extend((f"image_urls[{i}]", url) for i, url in enumerate(listed))
    elif listed is not None:
        raise InvalidInput("image_urls: must be a list of URLs", provider=provider)
    for field, url in found:
        if not isinstance(url, str):
            raise InvalidInput(f"{field}: must be a URL", provider=provider)
    return found


def url_fields(params: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    """(field, value) of every input-file param, lists unrolled."""
    for name, value in params.items():
        if name.endswith("_url"):
            yield name, value
        elif name.endswith("_urls") and isinstance(value, list):
            yield from ((f"{name}[{i}]", item) for i, item in enumerate(value))
        elif name.endswith("_urls"):
            yield name, value


def check_passed_urls(params: Mapping[str, Any], *, data_urls: bool, provider: str) -> None:
    """InvalidInput unless every input-file param is a URL the provider can read itself: a
    public http(s) URL without credentials, or (where the provider takes them) a base64 data
    URL of an image, audio or video."""
    for field, value in url_fields(params):
        if not _readable(value, data_urls):
            kinds = "an http(s) URL or a base64 data URL" if data_urls else "an http(s) URL"
            raise InvalidInput(f"{field}: must be {kinds}", provider=provider)


def _readable(value: object, data_urls: bool) -> bool:
    if not isinstance(value, str) or not value or "\x00" in value:
        return False
    if value.startswith("data:"):
        return data_urls and len(value) <= MAX_DATA_URL_CHARS and _is_data_url(value)
    if len(value) > MAX_URL_CHARS:
        return False
    try:
        parsed = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host) and not parsed.userinfo


def _is_data_url(value: str) -> bool:
    head = _DATA_URL.match(value)
    if head is None:
        return False
    try:
        base64.b64decode(value[head.end() :], validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
