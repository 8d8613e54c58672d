"""How long to wait before the next submit to the same provider, or whether to stop asking it."""

from __future__ import annotations

from collections.abc import Callable

from atelier_generation.providers.errors import ProviderError, RateLimited
from atelier_generation.providers.routing.config import RetryPolicy

# A number in [0, 1): random.random in the service, fixed in tests.
Jitter = Callable[[], float]


def may_retry(error: ProviderError) -> bool:
    """Whether a failed submit may be sent again, here or to a fallback: a provider's fault
    that cannot have started a job (the user's own fault would fail again; a job that may have
    started could be paid twice)."""
    return error.retryable and not error.may_have_started


def retry_delay(
    policy: RetryPolicy, attempt: int, error: ProviderError, jitter: Jitter
) -> float | None:
    """The wait before attempt `attempt + 1`, or None when this provider is not to be asked
    again for this generation (attempts spent, or a Retry-After past the cap).

    Full jitter (a random wait up to the doubled base) spreads the retries of many drivers; the
    provider's Retry-After is a floor, never shortened.
    """
    if attempt >= policy.attempts:
        return None
    ceiling = min(policy.cap_s, policy.base_s * 2.0 ** (attempt - 1))
    wait = ceiling * jitter()
    hint = error.retry_after if isinstance(error, RateLimited) else None
    if hint is not None and hint > 0:
        if hint > policy.cap_s:
            return None
        wait = max(wait, hint)
    return wait
