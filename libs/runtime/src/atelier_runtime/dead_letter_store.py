"""Reads and changes the dead-letter table for the operator's service: list, lock, remove."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.dead_letters import bounded_error


@dataclass(frozen=True, slots=True)
class DeadLetterSummary:
    """A dead letter without its payload and headers, as listed."""

    id: int
    origin: str
    msg_id: str
    subject: str
    attempts: int
    last_error: str
    payload_size: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDeadLetter:
    """A dead letter in full: enough to process or publish the message again."""

    summary: DeadLetterSummary
    headers: dict[str, str]
    payload: bytes


_SUMMARY_COLUMNS = """
    id, origin, msg_id, subject, attempts, last_error,
    octet_length(payload) AS payload_size, created_at
"""


def _summary(row: asyncpg.Record) -> DeadLetterSummary:
    return DeadLetterSummary(
        id=row["id"],
        origin=row["origin"],
        msg_id=row["msg_id"],
        subject=row["subject"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        payload_size=row["payload_size"],
        created_at=row["created_at"],
    )


async def list_dead_letters(
    pool: DbPool, *, origin: str | None, after_id: int, limit: int
) -> list[DeadLetterSummary]:
    """Oldest first (by id), after `after_id`, of one origin or of all."""
    rows = await pool.fetch(
        f"""
        SELECT {_SUMMARY_COLUMNS} FROM dead_letters
        WHERE id > $1 AND ($2::text IS NULL OR origin = $2)
        ORDER BY id LIMIT $3
        """,
        after_id,
        origin,
        limit,
    )
    return [_summary(row) for row in rows]


async def dead_letter(conn: DbConnection | DbPool, letter_id: int) -> StoredDeadLetter | None:
    row = await conn.fetchrow(
        f"SELECT {_SUMMARY_COLUMNS}, headers, payload FROM dead_letters WHERE id = $1", letter_id
    )
    return None if row is None else _stored(row)


async def lock_dead_letter(conn: DbConnection, letter_id: int) -> StoredDeadLetter | None:
    """The letter, locked until the caller's transaction ends: one retry of it runs at a time."""
    row = await conn.fetchrow(
        f"""
        SELECT {_SUMMARY_COLUMNS}, headers, payload FROM dead_letters WHERE id = $1
        FOR UPDATE
        """,
        letter_id,
    )
    return None if row is None else _stored(row)


def _stored(row: asyncpg.Record) -> StoredDeadLetter:
    return StoredDeadLetter(_summary(row), json.loads(row["headers"]), row["payload"])


async def remove_dead_letter(conn: DbConnection | DbPool, letter_id: int) -> bool:
    """Deletes the letter; False when there was none."""
    removed = await conn.fetchval(
        "DELETE FROM dead_letters WHERE id = $1 RETURNING true", letter_id
    )
    return bool(removed)


async def record_failed_retry(pool: DbPool, letter_id: int, error: str) -> None:
    """Counts one more attempt and keeps the newest error, so the operator sees what happened."""
    await pool.execute(
        "UPDATE dead_letters SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
        letter_id,
        bounded_error(error),
    )


async def dead_letter_ids(pool: DbPool, origin: str, *, after_id: int, limit: int) -> list[int]:
    rows = await pool.fetch(
        "SELECT id FROM dead_letters WHERE origin = $1 AND id > $2 ORDER BY id LIMIT $3",
        origin,
        after_id,
        limit,
    )
    return [row["id"] for row in rows]
