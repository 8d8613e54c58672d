"""The history case: one account through many freeze→confirm cycles on our ledger alone.

What it measures is whether cost stays flat as an account's history grows: throughput over the
last 10% of the cycles divided by the first 10% (`late_vs_early`, 1.0 means flat), the size of
the account's latest snapshot at the end, and the service's resident memory. The baseline here
is the same run's own beginning, when the account was young.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import psutil

from atelier_bench.credits.ledger_calls import (
    CREDITS_PER_CYCLE,
    consumed_total,
    grant_each,
    one_cycle,
)
from atelier_bench.credits.servers import Contender
from atelier_credits.domain import CreditAccount

ACCOUNT = "bench-history"
# Flat means the late tenth runs at least this fast relative to the early one.
TARGET_LATE_VS_EARLY = 0.8
TARGET_SNAPSHOT_BYTES = 64 * 1024
_LATEST_SNAPSHOT = """
SELECT octet_length(state) FROM credits_snapshots
WHERE originator_id = $1 ORDER BY originator_version DESC LIMIT 1
"""


@dataclass(frozen=True)
class HistoryResult:
    """What the history case saw."""

    cycles: int
    errors: int
    early_ops_per_s: float
    late_ops_per_s: float
    snapshot_bytes: int
    rss_start_bytes: int
    rss_end_bytes: int
    consumed: int

    @property
    def late_vs_early(self) -> float:
        return self.late_ops_per_s / self.early_ops_per_s if self.early_ops_per_s else 0.0

    @property
    def sound(self) -> bool:
        return self.errors == 0 and self.consumed == self.cycles * CREDITS_PER_CYCLE

    def to_json(self) -> dict[str, object]:
        return {
            "name": "history",
            "accounts": 1,
            "cycles": self.cycles,
            "errors": self.errors,
            "early_ops_per_s": round(self.early_ops_per_s, 1),
            "late_ops_per_s": round(self.late_ops_per_s, 1),
            "late_vs_early": round(self.late_vs_early, 3),
            "target": TARGET_LATE_VS_EARLY,
            "meets_target": self.late_vs_early >= TARGET_LATE_VS_EARLY,
            "snapshot_bytes": self.snapshot_bytes,
            "snapshot_target_bytes": TARGET_SNAPSHOT_BYTES,
            "rss_start_bytes": self.rss_start_bytes,
            "rss_end_bytes": self.rss_end_bytes,
            "ledger_check": {"expected": self.cycles, "consumed": self.consumed, "ok": self.sound},
        }


async def run_history(
    ours: Contender, database_url: str, *, cycles: int, clients: int, run_id: str
) -> HistoryResult:
    """Runs `cycles` cycles on one account with `clients` concurrent clients, in order of ids."""
    stub = ours.client()
    await grant_each(stub, [ACCOUNT], cycles * CREDITS_PER_CYCLE, 1)
    rss_start = psutil.Process(ours.pid).memory_info().rss
    finished: list[float] = []
    errors = 0
    numbers = iter(range(cycles))

    async def client() -> None:
        nonlocal errors
        for number in numbers:
            try:
                await one_cycle(stub, ACCOUNT, f"{run_id}-history-{number}")
            except Exception:
                errors += 1
                continue
            finished.append(time.perf_counter())

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    rss_end = psutil.Process(ours.pid).memory_info().rss
    return HistoryResult(
        cycles=len(finished),
        errors=errors,
        early_ops_per_s=_tenth_rate(started, finished, late=False),
        late_ops_per_s=_tenth_rate(started, finished, late=True),
        snapshot_bytes=await _latest_snapshot_bytes(database_url),
        rss_start_bytes=rss_start,
        rss_end_bytes=rss_end,
        consumed=await consumed_total(stub, [ACCOUNT], 1),
    )


def _tenth_rate(started: float, finished: list[float], *, late: bool) -> float:
    """Cycles per second over the first (or last) tenth of the completed cycles."""
    tenth = max(1, len(finished) // 10)
    if len(finished) < 2 * tenth:
        return 0.0
    if late:
        begin, end = finished[-tenth - 1], finished[-1]
        count = tenth
    else:
        begin, end, count = started, finished[tenth - 1], tenth
    return count / (end - begin) if end > begin else 0.0


async def _latest_snapshot_bytes(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        size = await conn.fetchval(_LATEST_SNAPSHOT, CreditAccount.id_for(ACCOUNT))
    finally:
        await conn.close()
    return int(size or 0)
