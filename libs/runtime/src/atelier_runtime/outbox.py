"""Transactional outbox: events written in the same transaction as the state they describe."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from atelier_runtime.bus import OutgoingMessage
from atelier_runtime.db import DbConnection, DbPool, apply_migrations
from atelier_runtime.relay_source import (
    RELAY_CURSOR_COMPONENT,
    RELAY_CURSOR_MIGRATIONS,
    tx_ordered_batch_query,
    tx_ordered_lag_query,
)
from atelier_runtime.tracing import inject_headers

OUTBOX_COMPONENT = "atelier.outbox"
OUTBOX_NOTIFY_CHANNEL = "atelier_outbox"

OUTBOX_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE outbox (
        position bigserial PRIMARY KEY,
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        event_id text NOT NULL UNIQUE,
        subject text NOT NULL,
        payload bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    -- The relay reads in (tx_id, position) order behind the transaction-id watermark.
    CREATE INDEX outbox_tx_order ON outbox (tx_id, position);

    -- One NOTIFY per inserting statement, delivered at commit: wakes the relay.
    CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('atelier_outbox', '');
        RETURN NULL;
    END $$;
    CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
    """,
)


@dataclass(frozen=True)
class OutboxTableSource:
    """The `outbox` table as a relay source; the msg id is the event id."""

    name: str = "outbox"
    notify_channel: str | None = OUTBOX_NOTIFY_CHANNEL
    batch_query: str = tx_ordered_batch_query("outbox", "event_id, subject, payload, headers")
    lag_query: str | None = tx_ordered_lag_query("outbox", "created_at")

    def to_message(self, row: asyncpg.Record) -> OutgoingMessage:
        return OutgoingMessage(
            subject=row["subject"],
            payload=bytes(row["payload"]),
            msg_id=row["event_id"],
            headers=json.loads(row["headers"]),
        )


async def install_outbox(pool: DbPool) -> None:
    """Creates the outbox and relay cursor tables (idempotent); call at service start."""
    await apply_migrations(pool, OUTBOX_COMPONENT, OUTBOX_MIGRATIONS)
    await apply_migrations(pool, RELAY_CURSOR_COMPONENT, RELAY_CURSOR_MIGRATIONS)


async def add_to_outbox(
    conn: DbConnection,
    *,
    event_id: str,
    subject: str,
    payload: bytes,
    headers: Mapping[str, str] | None = None,
) -> bool:
    """Records an event to publish; call inside the transaction that changes the state.

    The current trace context is stored with it, because the relay publishes later, outside
    the request. Returns False when an event with this id is recorded already (a retried
    command), which adds nothing.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("add_to_outbox must run inside the caller's transaction")
    stored = inject_headers({})
    stored.update(headers or {})
    added = await conn.fetchval(
        """
        INSERT INTO outbox (event_id, subject, payload, headers)
        VALUES ($1, $2, $3, $4::jsonb)
        ON CONFLICT (event_id) DO NOTHING
        RETURNING true
        """,
        event_id,
        subject,
        payload,
        json.dumps(stored),
    )
    return bool(added)


async def prune_outbox(pool: DbPool, *, older_than: timedelta, source: str = "outbox") -> int:
    """Deletes published rows older than `older_than`; returns how many.

    Only rows behind the relay's stored cursor go, so nothing unpublished is ever lost.
    """
    result = await pool.execute(
        """
        DELETE FROM outbox o
        USING outbox_cursor c
        WHERE c.source = $1
          AND (o.tx_id, o.position) <= (c.tx_id, c.position)
          AND o.created_at < now() - $2::interval
        """,
        source,
        older_than,
    )
    return int(result.split()[-1])
