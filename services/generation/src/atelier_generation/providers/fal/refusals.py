"""fal's refusals and failures, classified: whose fault, retried or not.

fal answers validation and model errors with `detail` (a string, or a list of pydantic-style
items whose `type` may name a content-policy violation) and infrastructure errors with an
`error_type` (also in the X-Fal-Error-Type header).
"""

from __future__ import annotations

import json
import re
from typing import Any

from atelier_generation.providers.errors import (
    ContentPolicy,
    InvalidInput,
    ProviderAuthFailed,
    ProviderError,
    ProviderQuotaExceeded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.remote_http import Answer, retry_after_s
from atelier_generation.providers.transport import status_may_have_started

NAME = "fal"
_POLICY = re.compile(r"content_policy|nsfw|safety|content checker|flagged", re.IGNORECASE)
_BALANCE = re.compile(r"balance|locked|billing|credit", re.IGNORECASE)
_TIMEOUTS = frozenset({"request_timeout", "startup_timeout"})
_MAX_SHOWN = 300


def refusal(answer: Answer) -> ProviderError:
    """The error for a non-2xx answer (at submit, or as a finished request's result)."""
    body = _body(answer.body)
    detail = _printable(_detail_text(body))
    error_type = str(body.get("error_type") or answer.headers.get("x-fal-error-type") or "")
    said = f"answered {answer.status}: {detail}" if detail else f"answered {answer.status}"
    status = answer.status
    if status == 429:
        return RateLimited(said, provider=NAME, retry_after=retry_after_s(answer.headers))
    if status in (401, 403):
        if _BALANCE.search(detail):
            return ProviderQuotaExceeded(said, provider=NAME)
        return ProviderAuthFailed(said, provider=NAME)
    if status == 402:
        return ProviderQuotaExceeded(said, provider=NAME)
    if error_type in _TIMEOUTS:
        return ProviderTimeout(said, provider=NAME)
    if 400 <= status < 500 and _POLICY.search(detail + " " + _detail_types(body)):
        return ContentPolicy(said, provider=NAME)
    if status in (400, 422) and error_type not in ("bad_request", ""):
        return ProviderUnavailable(said, provider=NAME)
    if status in (400, 422):
        return InvalidInput(said, provider=NAME)
    # 404 (an unknown app), 499 (canceled), 5xx: nothing the user could change.
    return ProviderUnavailable(
        said, provider=NAME, may_have_started=status_may_have_started(status)
    )


def _body(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw[:65536])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _detail_text(body: dict[str, Any]) -> str:
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail[:5]:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{where}: {item.get('msg', '')}" if where else str(item.get("msg")))
        return "; ".join(parts)
    return ""


def _detail_types(body: dict[str, Any]) -> str:
    detail = body.get("detail")
    if not isinstance(detail, list):
        return ""
    return " ".join(str(item.get("type", "")) for item in detail[:20] if isinstance(item, dict))


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)[:_MAX_SHOWN]
