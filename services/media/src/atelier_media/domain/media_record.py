"""A media record and its life: external → stored | transfer_failed → expired | deleted."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import quote

from atelier_media.domain.content_types import extension


class Status(enum.StrEnum):
    EXTERNAL = "external"
    STORED = "stored"
    TRANSFER_FAILED = "transfer_failed"
    EXPIRED = "expired"
    DELETED = "deleted"


class StoredBy(enum.StrEnum):
    CLIENT = "client"
    SERVER = "server"


PLANS = ("free", "paid")


def plan_prefix(plan: str) -> str:
    """Retention is encoded in the key's first segment, so a bucket lifecycle rule can match it."""
    return plan if plan in PLANS else "free"


def object_key(plan: str, account_id: str, media_id: str, content_type: str) -> str:
    # Ids are quoted: they come from other services and must not add path segments.
    return (
        f"{plan_prefix(plan)}/{quote(account_id, safe='')}/"
        f"{quote(media_id, safe='')}.{extension(content_type)}"
    )


@dataclass(frozen=True)
class MediaRecord:
    media_id: str
    account_id: str
    generation_id: str
    plan: str
    content_type: str
    source_url: str
    source_expires_at: datetime | None
    status: Status
    key: str
    created_at: datetime
    stored_by: StoredBy | None = None
    size: int = 0
    failure_reason: str = ""
    stored_at: datetime | None = None
    attempts: int = 0

    @property
    def is_external(self) -> bool:
        return self.status is Status.EXTERNAL

    def source_valid_at(self, now: datetime) -> bool:
        return self.source_expires_at is None or now < self.source_expires_at

    def stored(self, by: StoredBy, size: int, now: datetime) -> MediaRecord:
        """The file is in our bucket; only an external (or failed) record moves to stored."""
        return replace(
            self, status=Status.STORED, stored_by=by, size=size, stored_at=now, failure_reason=""
        )

    def upload_refused(self, reason: str) -> MediaRecord:
        """A browser upload failed verification: the record stays external, the fallback runs."""
        return replace(self, failure_reason=reason)

    def transfer_failed(self, reason: str) -> MediaRecord:
        return replace(self, status=Status.TRANSFER_FAILED, failure_reason=reason)

    def expired(self) -> MediaRecord:
        return replace(self, status=Status.EXPIRED)

    def deleted(self) -> MediaRecord:
        return replace(self, status=Status.DELETED)


def can_receive_upload(record: MediaRecord) -> bool:
    # A failed server transfer can still be rescued by the browser, which may hold the file.
    return record.status in (Status.EXTERNAL, Status.TRANSFER_FAILED)


def new_external_record(
    *,
    media_id: str,
    account_id: str,
    generation_id: str,
    content_type: str,
    source_url: str,
    source_expires_at: datetime | None,
    now: datetime,
    plan: str = "free",
) -> MediaRecord:
    """A just-produced output, only at its provider URL; its key is fixed from the start."""
    return MediaRecord(
        media_id=media_id,
        account_id=account_id,
        generation_id=generation_id,
        plan=plan_prefix(plan),
        content_type=content_type,
        source_url=source_url,
        source_expires_at=source_expires_at,
        status=Status.EXTERNAL,
        key=object_key(plan, account_id, media_id, content_type),
        created_at=now,
    )
