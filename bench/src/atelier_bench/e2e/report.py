"""What `atelier bench e2e` prints: generations per second through the edge and their overhead,
beside the ledger's freeze→confirm floor at the same concurrency."""

from __future__ import annotations

from dataclasses import asdict, dataclass

RATE_TARGET = 50.0
P99_TARGET_MS = 250.0


@dataclass(frozen=True)
class E2eReport:
    clients: int
    duration_s: float
    tool: str
    model: str
    generations: int
    generations_per_s: float
    # Submit → `succeeded` on the SSE stream (the provider itself takes no time): our overhead.
    succeeded_p50_ms: float
    succeeded_p99_ms: float
    # Submit → media says the output is stored in our bucket.
    stored_p50_ms: float
    stored_p99_ms: float
    errors: int
    first_error: str
    floor_cycles: int
    floor_cycles_per_s: float
    floor_p50_ms: float
    floor_p99_ms: float
    wall_s: float

    @property
    def ratio(self) -> float:
        """Generations per second over bare ledger cycles per second: what the rest costs."""
        return self.generations_per_s / self.floor_cycles_per_s if self.floor_cycles_per_s else 0.0

    @property
    def sound(self) -> bool:
        return self.errors == 0 and self.generations > 0

    def to_json(self) -> dict[str, object]:
        body = asdict(self)
        body["ratio_vs_ledger_floor"] = round(self.ratio, 3)
        body["sound"] = self.sound
        body["targets"] = {
            "generations_per_s": RATE_TARGET,
            "succeeded_p99_ms": P99_TARGET_MS,
            "met": self.generations_per_s >= RATE_TARGET and self.succeeded_p99_ms < P99_TARGET_MS,
        }
        return body


def render_table(report: E2eReport) -> str:
    r = report
    rate_met = "met" if r.generations_per_s >= RATE_TARGET else "NOT met"
    p99_met = "met" if r.succeeded_p99_ms < P99_TARGET_MS else "NOT met"
    lines = [
        f"e2e: {r.clients} clients for {r.duration_s:g} s, {r.tool}/{r.model}, local provider at "
        "zero latency, media storing each output at once",
        "",
        "| side | done | per s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
        f"| generations: submit → succeeded | {r.generations} | {r.generations_per_s:.1f} | "
        f"{r.succeeded_p50_ms:.1f} | {r.succeeded_p99_ms:.1f} | {r.errors} |",
        f"| generations: submit → stored | {r.generations} | {r.generations_per_s:.1f} | "
        f"{r.stored_p50_ms:.1f} | {r.stored_p99_ms:.1f} | {r.errors} |",
        f"| ledger floor: freeze → confirm | {r.floor_cycles} | {r.floor_cycles_per_s:.1f} | "
        f"{r.floor_p50_ms:.1f} | {r.floor_p99_ms:.1f} | 0 |",
        "",
        f"generations/s ÷ ledger cycles/s: {r.ratio:.3f}",
        f"targets: ≥ {RATE_TARGET:g} generations/s ({rate_met}), p99 submit → succeeded "
        f"< {P99_TARGET_MS:g} ms ({p99_met})",
    ]
    if r.first_error:
        lines.append(f"first error: {r.first_error}")
    lines.append(f"total wall time {r.wall_s:.1f} s")
    return "\n".join(lines)
