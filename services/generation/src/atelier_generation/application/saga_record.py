"""The saga's record: each change written with its events in one transaction, over the version
it was decided on, so a change decided on a stale record is refused rather than lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from atelier_generation.adapters import generation_table as table
from atelier_generation.adapters.generation_events import GenerationEvents
from atelier_generation.domain.generation import Generation
from atelier_runtime.db import DbPool
from atelier_runtime.errors import Aborted


class StaleRecord(Aborted):
    """Someone else changed the generation first (a Cancel, another driver): decide again."""

    def __init__(self, generation_id: str) -> None:
        super().__init__(f"generation {generation_id} changed meanwhile", reason="STALE_RECORD")


class SagaRecord:
    def __init__(self, pool: DbPool, events: GenerationEvents) -> None:
        self.pool = pool
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
            if not await table.save(conn, after):
                raise StaleRecord(before.id)
            await self._events.record(conn, before, after)
        return after

    async def admit(self, before: Generation, cap: int, **changes: Any) -> Generation | None:
        """Marks `before` running if its account has a slot free; None when it must wait."""
        after = replace(before, **changes, version=before.version + 1, updated_at=datetime.now(UTC))
        async with self.pool.acquire() as conn, conn.transaction():
            if not await table.take_running_slot(conn, before, cap):
                return None
            if not await table.save(conn, after):
                raise StaleRecord(before.id)
            await self._events.record(conn, before, after)
        return after
