"""The saga's record: each change written with its events in one transaction, over the version
it was decided on, so a change decided on a stale record is refused rather than lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Never

from atelier_generation.adapters import generation_table as table
from atelier_generation.adapters.generation_events import GenerationEvents
from atelier_generation.domain.generation import Generation
from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.errors import Aborted


class StaleRecord(Aborted):
    """Someone else changed the generation first (a Cancel, another driver): decide again."""

    def __init__(self, generation_id: str) -> None:
        super().__init__(f"generation {generation_id} changed meanwhile", reason="STALE_RECORD")


class LeaseLost(Exception):
    """Another replica took the generation over (our lease expired): stop driving it."""


class SagaRecord:
    """Writes as `holder` (a driving replica, whose writes need its lease) or as anyone (None:
    a Cancel request, which any replica records)."""

    def __init__(
        self, pool: DbPool, events: GenerationEvents, *, holder: str | None = None
    ) -> None:
        self.pool = pool
        self.holder = holder
        self._events = events

    async def create(
        self, g: Generation, *, key: str, fingerprint: str, owner: str, lease_s: float
    ) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            added = await table.insert(
                conn, g, key=key, fingerprint=fingerprint, owner=owner, lease_s=lease_s
            )
            if added:
                await self._events.record(conn, None, g)
            return added

    async def load(self, generation_id: str) -> Generation | None:
        return await table.load(self.pool, generation_id)

    async def change(self, before: Generation, **changes: Any) -> Generation:
        """Records `before` with `changes` as its next version; StaleRecord if it moved on."""
        after = replace(before, **changes, version=before.version + 1, updated_at=datetime.now(UTC))
        async with self.pool.acquire() as conn, conn.transaction():
            if not await table.save(conn, after, holder=self.holder):
                await self._refused(conn, before.id)
            await self._events.record(conn, before, after)
        return after

    async def admit(self, before: Generation, cap: int, **changes: Any) -> Generation | None:
        """Marks `before` running if its account has a slot free; None when it must wait."""
        after = replace(before, **changes, version=before.version + 1, updated_at=datetime.now(UTC))
        async with self.pool.acquire() as conn, conn.transaction():
            if not await table.take_running_slot(conn, before, cap):
                return None
            if not await table.save(conn, after, holder=self.holder):
                await self._refused(conn, before.id)
            await self._events.record(conn, before, after)
        return after

    async def _refused(self, conn: DbConnection, generation_id: str) -> Never:
        if self.holder is not None and await table.holder_of(conn, generation_id) != self.holder:
            raise LeaseLost(generation_id)
        raise StaleRecord(generation_id)
