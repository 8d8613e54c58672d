"""The dedup record of idempotent consumers: which message ids each consumer has processed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeAlias

from nats.aio.msg import Msg

from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.retention import PRUNE_BATCH

Handler: TypeAlias = "Callable[[DbConnection, Msg], Awaitable[None]]"

PROCESSED_MESSAGES_COMPONENT = "atelier.processed_messages"
PROCESSED_MESSAGES_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE processed_messages (
        consumer text NOT NULL,
        msg_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, msg_id)
    )
    """,
    # Pruning finds one consumer's expired ids without scanning the table.
    """
    CREATE INDEX processed_messages_by_age ON processed_messages (consumer, processed_at)
    """,
)


async def process_once(
    conn: DbConnection, consumer: str, msg_id: str, handler: Handler, msg: Msg
) -> bool:
    """Records `msg_id` and runs the handler, in the caller's transaction; False for a repeat.

    The record and the effect commit together or not at all, so a message is never processed
    twice and never marked processed without its effect.
    """
    first_time = await conn.fetchval(
        """
        INSERT INTO processed_messages (consumer, msg_id) VALUES ($1, $2)
        ON CONFLICT DO NOTHING
        RETURNING true
        """,
        consumer,
        msg_id,
    )
    if first_time:
        await handler(conn, msg)
    return bool(first_time)


async def prune_processed(
    pool: DbPool, consumer: str, retention: timedelta, *, batch: int = PRUNE_BATCH
) -> int:
    """Deletes the consumer's ids older than `retention`, `batch` rows per statement; returns how many.

    Each statement commits on its own and skips rows another replica is deleting, so replicas
    prune side by side without waiting on each other.
    """
    pruned = 0
    while True:
        deleted: int = await pool.fetchval(
            """
            WITH expired AS (
                SELECT msg_id FROM processed_messages
                WHERE consumer = $1 AND processed_at < now() - $2::interval
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ), gone AS (
                DELETE FROM processed_messages p USING expired e
                WHERE p.consumer = $1 AND p.msg_id = e.msg_id
                RETURNING 1
            )
            SELECT count(*) FROM gone
            """,
            consumer,
            retention,
            batch,
        )
        pruned += deleted
        if deleted < batch:
            return pruned
