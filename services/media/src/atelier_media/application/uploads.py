"""The browser path: a presigned PUT, then the upload verified before the media counts as stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from atelier_media.adapters import media_table
from atelier_media.adapters.object_store import ObjectStore
from atelier_media.application.storing import Storing
from atelier_media.domain.errors import MediaNotFound, NotUploadable, UploadRefused
from atelier_media.domain.media_record import MediaRecord, StoredBy, can_receive_upload
from atelier_media.domain.upload_rules import upload_refusal
from atelier_runtime.db import DbPool


@dataclass(frozen=True)
class UploadTarget:
    url: str
    content_type: str
    expires_at: datetime


async def owned_record(pool: DbPool, account_id: str, media_id: str) -> MediaRecord:
    record = await media_table.find(pool, media_id)
    if record is None or record.account_id != account_id:
        raise MediaNotFound(media_id)
    return record


class BrowserUploads:
    def __init__(
        self,
        pool: DbPool,
        store: ObjectStore,
        storing: Storing,
        clock: Callable[[], datetime],
        *,
        url_ttl_s: int,
        max_bytes: int,
    ) -> None:
        self._pool = pool
        self._store = store
        self._storing = storing
        self._clock = clock
        self._ttl_s = url_ttl_s
        self._max_bytes = max_bytes

    async def create_target(self, account_id: str, media_id: str) -> UploadTarget:
        record = await owned_record(self._pool, account_id, media_id)
        if not can_receive_upload(record):
            raise NotUploadable(record.status.value)
        url = self._store.presigned_put(record.key, record.content_type, self._ttl_s)
        expires_at = self._clock() + timedelta(seconds=self._ttl_s)
        return UploadTarget(url=url, content_type=record.content_type, expires_at=expires_at)

    async def complete(self, account_id: str, media_id: str) -> MediaRecord:
        record = await owned_record(self._pool, account_id, media_id)
        if not can_receive_upload(record):
            return record  # stored already (by the fallback, or a repeated call)
        facts = await self._store.facts(record.key)
        refusal = upload_refusal(facts, record.content_type, self._max_bytes)
        if refusal is not None:
            await self._refuse(record, refusal, delete=facts is not None)
            raise UploadRefused(refusal)
        return await self._storing.store(media_id, StoredBy.CLIENT, facts.size if facts else 0)

    async def _refuse(self, record: MediaRecord, refusal: str, *, delete: bool) -> None:
        # The bad object goes; the record stays external, so the fallback still copies the file.
        if delete:
            await self._store.delete(record.key)
        self._storing.metrics.upload_refused(refusal)
        await media_table.note_failure(self._pool, record.media_id, refusal)
