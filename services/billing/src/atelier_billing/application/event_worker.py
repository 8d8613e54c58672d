"""The worker that applies stored Stripe events, one per transaction, on any number of replicas.

Claiming an event (`FOR UPDATE SKIP LOCKED`), applying its effects (state, ledger orders, outbox
events) and marking it settled happen in one transaction: a crash anywhere leaves the event
pending with nothing applied, and two replicas never apply one event twice.
"""

from __future__ import annotations

import asyncio
import logging

from atelier_billing.adapters import event_table
from atelier_billing.adapters.notifications import wait_for
from atelier_billing.application.event_processor import EventProcessor
from atelier_runtime.db import DbPool
from atelier_runtime.dead_letters import describe

_log = logging.getLogger(__name__)


class EventWorker:
    def __init__(
        self,
        pool: DbPool,
        processor: EventProcessor,
        *,
        wake: asyncio.Event,
        poll_s: float,
        max_attempts: int,
    ) -> None:
        self._pool = pool
        self._processor = processor
        self._wake = wake
        self._poll_s = poll_s
        self._max_attempts = max_attempts

    async def run(self) -> None:
        while True:
            try:
                while await self.process_next():
                    pass
            except Exception:
                # The database is unreachable, say: nothing was applied; try again later.
                _log.exception("stripe event worker failed; retrying")
            await wait_for(self._wake, self._poll_s)

    async def process_next(self) -> bool:
        """Applies the oldest due pending event; False when there was none."""
        async with self._pool.acquire() as conn:
            claimed = None
            try:
                async with conn.transaction():
                    claimed = await event_table.claim_next(conn)
                    if claimed is None:
                        return False
                    disposition = await self._processor.process(conn, claimed.body)
                    await event_table.settle(conn, claimed.event_id, disposition)
            except Exception as error:
                if claimed is None:
                    raise
                _log.exception("stripe event failed", extra={"event_id": claimed.event_id})
                await event_table.record_failure(
                    conn, claimed.event_id, describe(error), max_attempts=self._max_attempts
                )
                return True
        _log.info(
            "stripe event settled",
            extra={"event_id": claimed.event_id, "state": disposition.state},
        )
        return True
