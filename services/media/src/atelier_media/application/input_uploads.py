"""Input files: recorded for the account, then a presigned PUT in and a URL to read them by."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from atelier_media.adapters import input_table
from atelier_media.adapters.object_store import ObjectStore
from atelier_media.application.uploads import UploadTarget
from atelier_media.domain.input_rules import checked_input, input_key
from atelier_runtime.db import DbPool


@dataclass(frozen=True)
class InputUpload:
    media_id: str
    upload: UploadTarget
    read_url: str
    read_expires_at: datetime | None


@dataclass(frozen=True)
class InputUrls:
    """How long the PUT and the read URL last, and the public base that replaces presigned GETs."""

    upload_ttl_s: int
    read_ttl_s: int
    public_base_url: str | None


class InputUploads:
    def __init__(
        self,
        pool: DbPool,
        store: ObjectStore,
        clock: Callable[[], datetime],
        urls: InputUrls,
        *,
        max_bytes: int,
    ) -> None:
        self._pool = pool
        self._store = store
        self._clock = clock
        self._urls = urls
        self._max_bytes = max_bytes

    async def create(self, account_id: str, content_type: str, size: int) -> InputUpload:
        content_type, size = checked_input(content_type, size, self._max_bytes)
        media_id = f"in-{secrets.token_hex(12)}"
        key = input_key(account_id, media_id, content_type)
        now = self._clock()
        await input_table.insert(
            self._pool,
            media_id=media_id,
            account_id=account_id,
            content_type=content_type,
            size=size,
            key=key,
            created_at=now,
        )
        put_url = self._store.presigned_put(key, content_type, self._urls.upload_ttl_s, size)
        upload = UploadTarget(
            put_url, content_type, now + timedelta(seconds=self._urls.upload_ttl_s)
        )
        return InputUpload(media_id, upload, *self._read_url(key, now))

    def _read_url(self, key: str, now: datetime) -> tuple[str, datetime | None]:
        if self._urls.public_base_url:
            return f"{self._urls.public_base_url}/{key}", None
        ttl = self._urls.read_ttl_s
        return self._store.presigned_get(key, ttl), now + timedelta(seconds=ttl)
