"""An HTTP call that failed without an answer, as the typed provider fault adapters raise.

What matters for retries is whether the request may have reached the provider: a connection
that never opened (refused, DNS, a connect timeout, no free connection in our pool) started
nothing; anything after the request was written (a read timeout, a reset, a broken answer) may
have started a job we are billed for.
"""

from __future__ import annotations

import httpx

from atelier_generation.providers.errors import ProviderFault, ProviderTimeout, ProviderUnavailable

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def transport_fault(error: httpx.HTTPError, provider: str) -> ProviderFault:
    """The fault for an httpx error raised before any response was read."""
    kind = type(error).__name__
    if isinstance(error, _NOT_SENT):
        return ProviderUnavailable(
            f"could not reach the provider ({kind})", provider=provider, may_have_started=False
        )
    if isinstance(error, httpx.TimeoutException):
        return ProviderTimeout(f"no answer in time ({kind})", provider=provider)
    return ProviderUnavailable(
        f"the call broke after it was sent ({kind})", provider=provider, may_have_started=True
    )


def status_may_have_started(status_code: int) -> bool:
    """Whether a 5xx answer may hide a job that started: a gateway's 502 or 504 stands in front
    of a provider that may have taken the request; a 500 or 503 is the provider's own refusal."""
    return status_code in (502, 504)
