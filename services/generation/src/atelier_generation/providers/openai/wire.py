"""OpenAI Images wire shapes: our params → a generations request; its answer → outputs/errors."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import (
    ContentPolicy,
    ProviderError,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)
from atelier_generation.providers.inline_http import classified, clipped
from atelier_generation.providers.inline_jobs import Produced
from atelier_generation.providers.job import ProviderOutput

PROVIDER = "openai"
# Request fields passed through as the catalogue's schema names them; any other param (a seed,
# say) has no meaning to OpenAI and is left out.
FIELDS = (
    "prompt", "n", "size", "quality", "style", "background", "output_format",
    "output_compression", "moderation", "response_format", "user",
)  # fmt: skip
# An edit is multipart: the same settings as form fields, less those edits do not take.
EDIT_FIELDS = (
    "prompt", "n", "size", "quality", "background", "output_format", "output_compression",
    "input_fidelity", "response_format", "user",
)  # fmt: skip
# Our catalogues name the image count `num_outputs`, as the other tools do.
RENAMED = {"num_outputs": "n"}
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
# OpenAI's image URLs (dall-e) work for 60 minutes after the image is made.
URL_LIFETIME_S = 3600
_POLICY_CODES = frozenset({"moderation_blocked", "content_policy_violation"})
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})


def generation_request(model: Model, params: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model.provider_model}
    for name, value in params.items():
        wire_name = RENAMED.get(name, name)
        if wire_name in FIELDS:
            body[wire_name] = value
    return body


def edit_fields(model: Model, params: Mapping[str, Any]) -> dict[str, str]:
    """The form fields of an edit (the files go as parts of their own)."""
    fields = {"model": model.provider_model}
    for name, value in params.items():
        wire_name = RENAMED.get(name, name)
        if wire_name in EDIT_FIELDS:
            fields[wire_name] = str(value).lower() if isinstance(value, bool) else str(value)
    return fields


def content_type_of(request: Mapping[str, Any]) -> str:
    return CONTENT_TYPES.get(str(request.get("output_format", "png")), "image/png")


def read_images(payload: Any, content_type: str, now: float | None = None) -> Produced:
    """The pictures of a 200 answer: base64 ones as bytes, URL ones as links with their expiry."""
    now = time.time() if now is None else now
    items = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise _odd("no images in the answer")
    files: list[tuple[bytes, str]] = []
    links: list[ProviderOutput] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
            files.append((_decoded(item["b64_json"]), content_type))
        elif isinstance(item, dict) and _is_web_url(item.get("url")):
            expires = datetime.fromtimestamp(_made_at(payload, now) + URL_LIFETIME_S, UTC)
            links.append(ProviderOutput(item["url"], content_type, expires))
        else:
            raise _odd("an image with neither b64_json nor url")
    return Produced(tuple(files), tuple(links), usage_detail(payload))


def usage_detail(payload: dict[str, Any]) -> str:
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return ""
    counts = [
        f"{name}={usage[name]}"
        for name in ("input_tokens", "output_tokens", "total_tokens")
        if isinstance(usage.get(name), int)
    ]
    return "usage: " + " ".join(counts) if counts else ""


def error_from(status: int, headers: Mapping[str, str], payload: Any) -> ProviderError:
    """OpenAI's `{"error": {message, type, param, code}}` as one of our typed errors."""
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    code, kind = error.get("code"), error.get("type")
    message = clipped(error.get("message") or f"HTTP {status}")
    param = error.get("param")
    if isinstance(param, str) and param:
        message = f"{clipped(param)}: {message}"
    if code in _POLICY_CODES:
        return ContentPolicy(message, provider=PROVIDER)
    if code in _QUOTA_CODES or kind in _QUOTA_CODES:
        return ProviderQuotaExceeded(message, provider=PROVIDER)
    return classified(status, message, headers, provider=PROVIDER)


def _decoded(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _odd("an image whose b64_json is not base64") from None


def _is_web_url(value: object) -> bool:
    return (
        isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) < 8192
    )


def _made_at(payload: dict[str, Any], now: float) -> float:
    created = payload.get("created")
    # A creation time from the future or long past is not believed: the answer came just now.
    if isinstance(created, int) and now - 3600 < created <= now:
        return float(created)
    return now


def _odd(what: str) -> ProviderUnavailable:
    return ProviderUnavailable(f"unexpected answer: {what}", provider=PROVIDER)
