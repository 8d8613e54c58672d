"""The one place a record becomes stored: at most once, with its event and its retention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from atelier_media.adapters import media_table
from atelier_media.adapters.media_messages import MediaMessages
from atelier_media.application.media_metrics import MediaMetrics
from atelier_media.domain.errors import MediaNotFound
from atelier_media.domain.media_record import MediaRecord, StoredBy, can_receive_upload
from atelier_runtime.db import DbPool

RetentionDays = Callable[[str], int | None]


class Storing:
    def __init__(
        self,
        pool: DbPool,
        messages: MediaMessages,
        retention_days: RetentionDays,
        clock: Callable[[], datetime],
        metrics: MediaMetrics,
    ) -> None:
        self._metrics = metrics
        self._pool = pool
        self._messages = messages
        self._retention_days = retention_days
        self._clock = clock

    @property
    def metrics(self) -> MediaMetrics:
        return self._metrics

    async def store(self, media_id: str, by: StoredBy, size: int) -> MediaRecord:
        """Marks the record stored unless it is already; the lock makes the browser's
        completion and the server's transfer agree on one `stored` event."""
        async with self._pool.acquire() as conn, conn.transaction():
            record = await media_table.lock(conn, media_id)
            if record is None:
                raise MediaNotFound(media_id)
            if not can_receive_upload(record):
                return record
            now = self._clock()
            stored = record.stored(by, size, now)
            days = self._retention_days(record.plan)
            await media_table.save(
                conn,
                stored,
                fallback_due_at=None,
                retain_until=now + timedelta(days=days) if days else None,
            )
            await self._messages.stored(conn, stored)
        self._metrics.stored(stored)
        return stored
