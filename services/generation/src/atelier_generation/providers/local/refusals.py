"""The refusals a provider gives at submit (a 4xx, a 429), as the local provider injects them."""

from __future__ import annotations

from atelier_generation.providers.errors import (
    InvalidInput,
    ProviderAuthFailed,
    ProviderError,
    ProviderQuotaExceeded,
    RateLimited,
)
from atelier_generation.providers.local.faults import InjectedFault

_PROVIDER = "local"
# A hint short enough for tests, long enough to tell a retry that waited from one that did not.
RETRY_AFTER_S = 1.0


def refusal_at_submit(fault: InjectedFault | None) -> ProviderError:
    if fault is InjectedFault.INPUT:
        return InvalidInput("the input was refused (injected)", provider=_PROVIDER)
    if fault is InjectedFault.RATE_LIMIT:
        return RateLimited("rate limited (injected)", provider=_PROVIDER, retry_after=RETRY_AFTER_S)
    if fault is InjectedFault.QUOTA:
        return ProviderQuotaExceeded("our quota is exhausted (injected)", provider=_PROVIDER)
    if fault is InjectedFault.AUTH:
        return ProviderAuthFailed("our key was refused (injected)", provider=_PROVIDER)
    raise ValueError(f"{fault} is not refused at submit")
