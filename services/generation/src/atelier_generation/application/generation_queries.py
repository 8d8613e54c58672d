"""Get, List and Cancel on the account's own generations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from atelier_generation.adapters import generation_table as table
from atelier_generation.application.saga_record import SagaRecord, StaleRecord
from atelier_generation.domain.generation import Generation
from atelier_runtime.errors import NotFound


class GenerationQueries:
    def __init__(self, record: SagaRecord, *, wake: Callable[[], None]) -> None:
        self._record = record
        self._wake = wake

    async def get(self, account_id: str, generation_id: str) -> Generation:
        g = await self._own(account_id, generation_id)
        return replace(g, queue_position=await table.queue_position(self._record.pool, g))

    async def page(
        self, account_id: str, *, before_seq: int | None, limit: int
    ) -> tuple[Sequence[Generation], int | None]:
        return await table.page_of(
            self._record.pool, account_id, before_seq=before_seq, limit=limit
        )

    async def cancel(self, account_id: str, generation_id: str) -> Generation:
        """Records the request; the generation's driver cancels the provider job and rolls the
        credits back. Idempotent, and a generation that ended already stays as it ended."""
        for _ in range(20):
            g = await self._own(account_id, generation_id)
            if g.status.ended or g.cancel_requested:
                return g
            try:
                g = await self._record.change(g, cancel_requested=True)
            except StaleRecord:
                continue
            self._wake()
            return g
        return await self._own(account_id, generation_id)

    async def _own(self, account_id: str, generation_id: str) -> Generation:
        g = await self._record.load(generation_id)
        if g is None or g.account_id != account_id:
            raise NotFound(
                "generation_id: no such generation for this account",
                reason="GENERATION_NOT_FOUND",
                metadata={"field": "generation_id"},
            )
        return g
