"""Retention in the application as well as in the bucket: lifecycle rules lag by up to a day."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from atelier_media.adapters import media_table
from atelier_media.adapters.media_messages import MediaMessages
from atelier_media.adapters.object_store import ObjectStore
from atelier_runtime.db import DbPool

_log = logging.getLogger(__name__)
BATCH = 100


class RetentionSweeper:
    def __init__(
        self,
        pool: DbPool,
        store: ObjectStore,
        messages: MediaMessages,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._store = store
        self._messages = messages
        self._clock = clock

    async def sweep(self) -> int:
        """Expires one batch of stored media past retention; returns how many."""
        async with self._pool.acquire() as conn, conn.transaction():
            records = await media_table.lock_expired(conn, self._clock(), BATCH)
            for record in records:
                await self._store.delete(record.key)
                expired = record.expired()
                await media_table.save(conn, expired, fallback_due_at=None)
                await self._messages.expired(conn, expired)
        return len(records)

    async def run(self, interval_s: float) -> None:
        while True:
            try:
                while await self.sweep() == BATCH:
                    pass
            except Exception:
                _log.exception("retention sweep failed; retrying")
            await asyncio.sleep(interval_s)
