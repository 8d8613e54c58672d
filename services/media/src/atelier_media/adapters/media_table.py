"""Media records in PostgreSQL, and the durable fallback timer beside each of them."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from atelier_media.domain.media_record import MediaRecord, Status, StoredBy
from atelier_runtime.db import DbConnection, DbPool

_COLUMNS = """media_id, account_id, generation_id, plan, content_type, source_url,
    source_expires_at, status, object_key, stored_by, size, failure_reason, created_at,
    stored_at, attempts"""


def _record(row: asyncpg.Record) -> MediaRecord:
    return MediaRecord(
        media_id=row["media_id"],
        account_id=row["account_id"],
        generation_id=row["generation_id"],
        plan=row["plan"],
        content_type=row["content_type"],
        source_url=row["source_url"],
        source_expires_at=row["source_expires_at"],
        status=Status(row["status"]),
        key=row["object_key"],
        stored_by=StoredBy(row["stored_by"]) if row["stored_by"] else None,
        size=row["size"],
        failure_reason=row["failure_reason"],
        created_at=row["created_at"],
        stored_at=row["stored_at"],
        attempts=row["attempts"],
    )


async def insert(conn: DbConnection, record: MediaRecord, fallback_due_at: datetime) -> bool:
    """Adds the record and schedules its fallback; False when the id is recorded already."""
    added = await conn.fetchval(
        f"""
        INSERT INTO media ({_COLUMNS}, fallback_due_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        ON CONFLICT (media_id) DO NOTHING
        RETURNING true
        """,
        record.media_id, record.account_id, record.generation_id, record.plan,
        record.content_type, record.source_url, record.source_expires_at, record.status.value,
        record.key, None, 0, "", record.created_at, None, 0, fallback_due_at,
    )  # fmt: skip
    return bool(added)


async def find(conn: DbConnection | DbPool, media_id: str) -> MediaRecord | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM media WHERE media_id = $1", media_id)
    return _record(row) if row else None


async def lock(conn: DbConnection, media_id: str) -> MediaRecord | None:
    """The record, locked until the caller's transaction ends (decisions on the latest state)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM media WHERE media_id = $1 FOR UPDATE", media_id
    )
    return _record(row) if row else None


async def save(
    conn: DbConnection,
    record: MediaRecord,
    *,
    fallback_due_at: datetime | None,
    retain_until: datetime | None = None,
) -> None:
    await conn.execute(
        """
        UPDATE media SET status = $2, stored_by = $3, size = $4, failure_reason = $5,
            stored_at = $6, fallback_due_at = $7, retain_until = $8
        WHERE media_id = $1
        """,
        record.media_id,
        record.status.value,
        record.stored_by.value if record.stored_by else None,
        record.size,
        record.failure_reason,
        record.stored_at,
        fallback_due_at,
        retain_until,
    )


async def claim_due(conn: DbConnection, now: datetime, lease_until: datetime) -> MediaRecord | None:
    """One due external record, its timer pushed to `lease_until` so no other replica takes it.

    SKIP LOCKED lets replicas claim different records at once; the lease (committed before the
    transfer starts) makes a record claimed by a replica that died due again after it.
    """
    row = await conn.fetchrow(
        f"""
        UPDATE media SET fallback_due_at = $2, attempts = attempts + 1
        WHERE media_id = (
            SELECT media_id FROM media
            WHERE fallback_due_at <= $1
            ORDER BY fallback_due_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        RETURNING {_COLUMNS}
        """,
        now,
        lease_until,
    )
    return _record(row) if row else None


async def lock_expired(conn: DbConnection, now: datetime, limit: int) -> list[MediaRecord]:
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM media
        WHERE retain_until <= $1 AND status = 'stored'
        ORDER BY retain_until LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        now,
        limit,
    )
    return [_record(row) for row in rows]


async def page(
    pool: DbPool, account_id: str, generation_id: str, after: tuple[datetime, str] | None, size: int
) -> list[MediaRecord]:
    """An account's records newest first (optionally one generation's), after a cursor."""
    rows = await pool.fetch(
        f"""
        SELECT {_COLUMNS} FROM media
        WHERE account_id = $1 AND ($2 = '' OR generation_id = $2)
          AND ($3::timestamptz IS NULL OR (created_at, media_id) < ($3, $4))
        ORDER BY created_at DESC, media_id DESC
        LIMIT $5
        """,
        account_id,
        generation_id,
        after[0] if after else None,
        after[1] if after else "",
        size,
    )
    return [_record(row) for row in rows]


async def note_failure(pool: DbPool, media_id: str, reason: str) -> None:
    """Says why an upload was refused, leaving the status and the fallback timer as they are."""
    await pool.execute(
        """
        UPDATE media SET failure_reason = $2
        WHERE media_id = $1 AND status IN ('external', 'transfer_failed')
        """,
        media_id,
        reason[:500],
    )


async def reschedule(pool: DbPool, media_id: str, due_at: datetime, reason: str) -> None:
    """Another attempt at `due_at`, while the record is still external."""
    await pool.execute(
        """
        UPDATE media SET fallback_due_at = $2, failure_reason = $3
        WHERE media_id = $1 AND status = 'external'
        """,
        media_id,
        due_at,
        reason[:500],
    )


async def save_timer(pool: DbPool, media_id: str, due_at: datetime | None) -> None:
    await pool.execute(
        "UPDATE media SET fallback_due_at = $2 WHERE media_id = $1", media_id, due_at
    )
