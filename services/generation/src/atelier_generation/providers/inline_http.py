"""HTTP calls to remote providers, with every transport failure and odd answer made typed.

Shared by the OpenAI, Gemini and music adapters: the answer is read whole but bounded, a timeout
or a refused connection becomes a provider fault, and an HTTP status is classified the way every
provider's is unless the adapter knows better (a moderation code, an out-of-credit code).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from atelier_generation.providers.errors import (
    InvalidInput,
    ProviderAuthFailed,
    ProviderError,
    ProviderQuotaExceeded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)

# Base64 images make answers large (ten 1536x1024 PNGs are tens of MB); anything past this is
# not an answer we can use.
MAX_ANSWER_BYTES = 128 * 1024 * 1024
# A provider's message is kept for logs and the user's error, not a novel.
MAX_MESSAGE_CHARS = 300
# A Retry-After longer than this is not a hint for a retry loop to wait out.
MAX_RETRY_AFTER_S = 3600.0


@dataclass(frozen=True)
class Answer:
    """A provider's whole answer."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self, provider: str) -> Any:
        """The body as JSON; a ProviderUnavailable when it is not JSON at all."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ProviderUnavailable(
                f"answered {self.status} with a body that is not JSON", provider=provider
            ) from None

    def json_or_none(self) -> Any:
        """The body as JSON, or None: for error answers, whose status says enough on its own."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    timeout_s: float,
    max_bytes: int = MAX_ANSWER_BYTES,
    **kwargs: Any,
) -> Answer:
    """One request, answered within `timeout_s` in all (body included); never follows redirects."""
    try:
        async with asyncio.timeout(timeout_s):
            async with http.stream(
                method, url, timeout=timeout_s, follow_redirects=False, **kwargs
            ) as response:
                body = await _read(response, max_bytes, provider)
                return Answer(response.status_code, response.headers, body)
    except (TimeoutError, httpx.TimeoutException):
        raise ProviderTimeout(f"no answer within {timeout_s:g} s", provider=provider) from None
    except httpx.HTTPError as error:
        raise ProviderUnavailable(
            f"could not reach the provider ({type(error).__name__})", provider=provider
        ) from None


async def _read(response: httpx.Response, max_bytes: int, provider: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes, provider)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes, provider)
    return bytes(body)


def _too_large(max_bytes: int, provider: str) -> ProviderUnavailable:
    return ProviderUnavailable(f"answer larger than {max_bytes:,} bytes", provider=provider)


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name, "").strip()
        if not raw:
            continue
        seconds: float | None
        try:
            seconds = float(raw) * scale
        except ValueError:
            seconds = _seconds_until(raw, time.time() if now is None else now)
        if seconds is not None and math.isfinite(seconds) and seconds >= 0:
            return min(seconds, MAX_RETRY_AFTER_S)
    return None


def _seconds_until(date: str, now: float) -> float | None:
    try:
        return parsedate_to_datetime(date).timestamp() - now
    except (TypeError, ValueError, IndexError):
        return None


def classified(
    status: int, message: str, headers: Mapping[str, str], *, provider: str
) -> ProviderError:
    """The usual meaning of an HTTP error status: whose fault, retried or not."""
    text = f"{status}: {clipped(message)}"
    if status in (401, 403):
        return ProviderAuthFailed(text, provider=provider)
    if status == 402:
        return ProviderQuotaExceeded(text, provider=provider)
    if status == 429:
        return RateLimited(text, provider=provider, retry_after=retry_after(headers))
    if status == 408:
        return ProviderTimeout(text, provider=provider)
    if 400 <= status < 500 and status != 404:
        return InvalidInput(text, provider=provider)
    # 404 on a create is a model or route the provider does not have: our configuration, not
    # the user's request; 5xx and anything unexpected is the provider's trouble too.
    return ProviderUnavailable(text, provider=provider)


def clipped(text: object) -> str:
    """A provider's text made safe to log and show: printable and bounded."""
    cleaned = "".join(c if c.isprintable() else " " for c in str(text))
    return cleaned[:MAX_MESSAGE_CHARS]
