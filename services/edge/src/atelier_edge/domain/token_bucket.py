"""Per-account token buckets: `rate` requests a second on average, bursts up to `burst`."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

# Buckets of accounts not seen for a while are dropped so memory stays bounded; a dropped
# bucket comes back full, which is what it would have refilled to anyway.
MAX_TRACKED = 100_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """Pure bookkeeping: the caller passes the clock, so tests need no sleeping."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self._rate = rate_per_s
        self._burst = float(burst)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """0 when a request may go now (one token taken), else the seconds until one may."""
        bucket = self._buckets.pop(key, None) or _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_TRACKED:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self._rate
