"""One HTTP call to a remote provider, with every transport failure made a typed provider fault.

Answers are read with a size cap, so a provider (or something pretending to be one) cannot make
us buffer an unbounded body; JSON that does not parse is a provider fault, never a crash.
"""

from __future__ import annotations

import email.utils
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from atelier_generation.providers.errors import ProviderUnavailable
from atelier_generation.providers.transport import transport_fault

# Large enough for a prediction whose outputs are inline data URLs; anything bigger is not ours.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
# A Retry-After beyond this is treated as this: the router's cool-down takes over from there.
LONGEST_RETRY_AFTER_S = 3600.0


@dataclass(frozen=True)
class Answer:
    """A provider's answer: status, headers and the (capped) body."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self, provider: str) -> Any:
        """The body as JSON; ProviderUnavailable when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            raise ProviderUnavailable(
                f"answered {self.status} with a body that is not JSON", provider=provider
            ) from None

    def json_object(self, provider: str) -> dict[str, Any]:
        value = self.json(provider)
        if not isinstance(value, dict):
            raise ProviderUnavailable(
                f"answered {self.status} with JSON that is not an object", provider=provider
            )
        return value


async def call(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    timeout_s: float,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
) -> Answer:
    """Sends one request; ProviderTimeout / ProviderUnavailable for anything below HTTP."""
    content = None if json_body is None else json.dumps(json_body).encode()
    sent_headers = dict(headers or {})
    if content is not None:
        sent_headers["Content-Type"] = "application/json"
    try:
        async with http.stream(
            method,
            url,
            headers=sent_headers,
            content=content,
            timeout=timeout_s,
            follow_redirects=False,
        ) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise ProviderUnavailable(
                        f"answered more than {MAX_ANSWER_BYTES:,} bytes", provider=provider
                    )
            return Answer(response.status_code, response.headers, bytes(body))
    except httpx.HTTPError as error:
        # Whether the request may have started a job decides whether a submit may be sent again.
        raise transport_fault(error, provider) from None


def retry_after_s(headers: httpx.Headers) -> float | None:
    """Retry-After as seconds (it may be seconds or an HTTP date); None if absent or unreadable."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), LONGEST_RETRY_AFTER_S)
