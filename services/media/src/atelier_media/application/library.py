"""Reading and deleting an account's media, with a URL that works now for each record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from atelier_media.adapters import media_table
from atelier_media.adapters.media_messages import MediaMessages
from atelier_media.adapters.object_store import ObjectStore
from atelier_media.application.uploads import owned_record
from atelier_media.domain.errors import MediaNotFound
from atelier_media.domain.media_record import MediaRecord, Status
from atelier_runtime.db import DbPool


@dataclass(frozen=True)
class MediaView:
    record: MediaRecord
    url: str


@dataclass(frozen=True)
class MediaPage:
    items: list[MediaView]
    next_after: tuple[datetime, str] | None


class MediaLibrary:
    def __init__(
        self,
        pool: DbPool,
        store: ObjectStore,
        messages: MediaMessages,
        *,
        public_base_url: str | None,
        download_ttl_s: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._store = store
        self._messages = messages
        self._public_base_url = public_base_url
        self._ttl_s = download_ttl_s
        self._clock = clock

    def view(self, record: MediaRecord) -> MediaView:
        return MediaView(record, self.url_of(record))

    def url_of(self, record: MediaRecord) -> str:
        if record.status is Status.STORED:
            if self._public_base_url:
                return f"{self._public_base_url}/{record.key}"
            return self._store.presigned_get(record.key, self._ttl_s)
        if record.status is Status.EXTERNAL and record.source_valid_at(self._clock()):
            return record.source_url
        return ""

    async def get(self, account_id: str, media_id: str) -> MediaView:
        return self.view(await owned_record(self._pool, account_id, media_id))

    async def list(
        self, account_id: str, generation_id: str, after: tuple[datetime, str] | None, size: int
    ) -> MediaPage:
        records = await media_table.page(self._pool, account_id, generation_id, after, size + 1)
        more = len(records) > size
        records = records[:size]
        last = records[-1] if more and records else None
        return MediaPage(
            [self.view(r) for r in records], (last.created_at, last.media_id) if last else None
        )

    async def delete(self, account_id: str, media_id: str) -> MediaView:
        async with self._pool.acquire() as conn, conn.transaction():
            record = await media_table.lock(conn, media_id)
            if record is None or record.account_id != account_id:
                raise MediaNotFound(media_id)
            if record.status is Status.DELETED:
                return self.view(record)
            # Deleting a missing key succeeds, so an external record is deleted the same way.
            await self._store.delete(record.key)
            deleted = record.deleted()
            await media_table.save(conn, deleted, fallback_due_at=None)
            await self._messages.deleted(conn, deleted)
        return self.view(deleted)
