"""Replicate's refusals and failures, classified: whose fault, retried or not.

Refusals are HTTP answers (problem-details bodies); failures are predictions that ended `failed`
with an error string. A safety-checker failure is the user's; every other failure is treated as
the provider's, so the user is never billed for a model that broke.
"""

from __future__ import annotations

import json
import re

from atelier_generation.providers.errors import (
    ContentPolicy,
    InvalidInput,
    ProviderAuthFailed,
    ProviderError,
    ProviderQuotaExceeded,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.remote_http import Answer, retry_after_s
from atelier_generation.providers.transport import status_may_have_started

NAME = "replicate"
_POLICY = re.compile(r"nsfw|sensitive|safety|content polic|flagged|\bE005\b", re.IGNORECASE)
# "Expected available in 1 second." / "Your rate limit resets in ~30s."
_WAIT_HINT = re.compile(r"(?:available in|resets in)\s*~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
# A 422 about the version or model is our catalogue's mistake, not the user's input.
_NOT_THE_INPUT = re.compile(r"version|model|permission|not permitted", re.IGNORECASE)
_MAX_SHOWN = 300


def refusal(answer: Answer) -> ProviderError:
    """The error for a non-2xx answer."""
    detail = _detail(answer.body)
    said = f"answered {answer.status}: {detail}" if detail else f"answered {answer.status}"
    status = answer.status
    if status in (401, 403):
        return ProviderAuthFailed(said, provider=NAME)
    if status == 402:
        return ProviderQuotaExceeded(said, provider=NAME)
    if status == 429:
        return RateLimited(said, provider=NAME, retry_after=_retry_after(answer, detail))
    if status in (400, 422):
        if _POLICY.search(detail):
            return ContentPolicy(said, provider=NAME)
        if status == 422 and not _NOT_THE_INPUT.search(_title(answer.body)):
            return InvalidInput(said, provider=NAME)
    # 404 (an unknown model), 409, 5xx and the rest: nothing the user could change.
    return ProviderUnavailable(
        said, provider=NAME, may_have_started=status_may_have_started(status)
    )


def failure(error: object) -> ProviderError:
    """The error for a prediction that ended `failed`."""
    text = str(error)[:_MAX_SHOWN] if error is not None else "the prediction failed"
    if _POLICY.search(text):
        return ContentPolicy(text, provider=NAME)
    return ProviderUnavailable(text, provider=NAME)


def _retry_after(answer: Answer, detail: str) -> float | None:
    from_header = retry_after_s(answer.headers)
    if from_header is not None:
        return from_header
    hint = _WAIT_HINT.search(detail)
    return float(hint.group(1)) if hint else None


def _problem(body: bytes) -> dict[str, object]:
    try:
        value = json.loads(body[:65536])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _detail(body: bytes) -> str:
    problem = _problem(body)
    detail = problem.get("detail") or problem.get("title") or ""
    return _printable(str(detail))


def _title(body: bytes) -> str:
    return _printable(str(_problem(body).get("title") or ""))


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)[:_MAX_SHOWN]
