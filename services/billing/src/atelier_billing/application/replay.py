"""Replay: every stored event processed again, in the order received.

Effects are keyed by Stripe object ids (payments, refunds, disputes) and ledger orders by the
ledger's ids, so a replay adds only what was missing: a parked event whose attribution has
arrived, an event that failed on a bug since fixed, a price added to the plans file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from atelier_billing.adapters import event_table, order_table
from atelier_runtime.db import DbPool

_POLL_S = 0.2


@dataclass(frozen=True)
class ReplayReport:
    requeued: int
    # Of the requeued events, by state when the report was made.
    by_state: dict[str, int]


class Replay:
    def __init__(self, pool: DbPool, clock: Callable[[], float]) -> None:
        self._pool = pool
        self._clock = clock

    async def run(self, wait_s: float) -> ReplayReport:
        async with self._pool.acquire() as conn, conn.transaction():
            last = await event_table.last_seq(conn)
            requeued = await event_table.requeue_all(conn)
            await order_table.retry_failed(conn)
        deadline = self._clock() + wait_s
        while True:
            async with self._pool.acquire() as conn:
                counts = await event_table.count_by_state(conn, last)
            if not counts.get("pending") or self._clock() >= deadline:
                return ReplayReport(requeued, counts)
            await asyncio.sleep(_POLL_S)
