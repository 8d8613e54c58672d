"""RegisterOutput: the same record the GenerationSucceeded consumer makes, by a direct call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from atelier_media.adapters import media_table
from atelier_media.domain.media_record import MediaRecord, new_external_record
from atelier_runtime.db import DbPool


@dataclass(frozen=True)
class NewOutput:
    """An output to record, its fields checked at the door."""

    media_id: str
    account_id: str
    generation_id: str
    content_type: str
    source_url: str
    source_expires_at: datetime | None
    plan: str = "free"


class Registration:
    def __init__(
        self, pool: DbPool, clock: Callable[[], datetime], fallback_delay: timedelta
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._delay = fallback_delay

    async def register(self, output: NewOutput) -> MediaRecord:
        """Idempotent by media id: a repeat returns the record as it is now."""
        now = self._clock()
        record = new_external_record(
            media_id=output.media_id,
            account_id=output.account_id,
            generation_id=output.generation_id,
            content_type=output.content_type,
            source_url=output.source_url,
            source_expires_at=output.source_expires_at,
            now=now,
            plan=output.plan,
        )
        async with self._pool.acquire() as conn, conn.transaction():
            await media_table.insert(conn, record, now + self._delay)
            current = await media_table.find(conn, record.media_id)
        assert current is not None  # inserted now or before, in this transaction's view
        return current
