"""The router's knobs, from the service's settings (tests shorten them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """Submits retried on one provider: `attempts` in all, waits doubling from `base_s` with
    full jitter up to `cap_s`. A Retry-After longer than `cap_s` is not waited for: the
    provider is left for a fallback instead of holding the generation that long."""

    attempts: int = 3
    base_s: float = 1.0
    cap_s: float = 30.0


@dataclass(frozen=True)
class BreakerPolicy:
    """A provider cools down when, within the last `window_s`, at least `min_failures` calls
    failed and they were at least `failure_ratio` of its calls; it stays open `cooldown_s`,
    then lets one probe through."""

    window_s: float = 60.0
    min_failures: int = 5
    failure_ratio: float = 0.5
    cooldown_s: float = 30.0


@dataclass(frozen=True)
class ProviderLimits:
    """One provider's limits in this process: jobs submitted and not yet ended, and submits
    per second (0: unlimited) with bursts of up to `burst`."""

    max_concurrent: int = 16
    submits_per_s: float = 0.0
    burst: int = 1


@dataclass(frozen=True)
class RouterConfig:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    limits: Mapping[str, ProviderLimits] = field(default_factory=dict)

    def limits_of(self, provider: str) -> ProviderLimits:
        return self.limits.get(provider, ProviderLimits())
