"""From measured slices of load to what the report prints: ops/s, p50/p99, and the ratio."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Slice:
    """One measured stretch of load on one side: completed cycles and each cycle's latency."""

    cycles: int
    errors: int
    elapsed_s: float
    latencies_s: Sequence[float]
    first_error: str = ""

    @property
    def ops_per_s(self) -> float:
        return self.cycles / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class SideSummary:
    """One side of one case over all its slices."""

    cycles: int
    errors: int
    elapsed_s: float
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    slice_ops_per_s: tuple[float, ...]
    first_error: str

    def to_json(self) -> dict[str, object]:
        return {
            "cycles": self.cycles,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed_s, 3),
            "ops_per_s": round(self.ops_per_s, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "rounds_ops_per_s": [round(ops, 1) for ops in self.slice_ops_per_s],
            "first_error": self.first_error,
        }


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in (0, 1]); 0.0 for no values."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarize(slices: Sequence[Slice]) -> SideSummary:
    """Throughput over the summed time of every slice; percentiles over every cycle."""
    latencies = [latency for s in slices for latency in s.latencies_s]
    cycles = sum(s.cycles for s in slices)
    elapsed = sum(s.elapsed_s for s in slices)
    return SideSummary(
        cycles=cycles,
        errors=sum(s.errors for s in slices),
        elapsed_s=elapsed,
        ops_per_s=cycles / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        slice_ops_per_s=tuple(s.ops_per_s for s in slices),
        first_error=next((s.first_error for s in slices if s.first_error), ""),
    )


def ratio(ours: SideSummary, baseline: SideSummary) -> float | None:
    """ours/baseline throughput; None when the baseline completed nothing to compare with."""
    if baseline.ops_per_s <= 0:
        return None
    return ours.ops_per_s / baseline.ops_per_s
