"""What a relay reads: a table of events in (transaction id, position) order, and its cursor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import asyncpg

from atelier_runtime.bus import OutgoingMessage
from atelier_runtime.db import DbConnection

RELAY_CURSOR_COMPONENT = "atelier.relay_cursor"

RELAY_CURSOR_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE outbox_cursor (
        source text PRIMARY KEY,
        tx_id xid8 NOT NULL,
        position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    )
    """,
)


@dataclass(frozen=True, order=True)
class RelayCursor:
    """The last published row; later rows compare greater as (tx_id, position) pairs."""

    tx_id: int = 0
    position: int = 0


class RelaySource(Protocol):
    """A table the relay publishes from.

    `batch_query` takes `$1` tx_id (xid8), `$2` position (bigint) and `$3` a row limit, and
    returns columns `tx_id` and `position` plus whatever `to_message` needs: only rows after
    the cursor, only behind the watermark, in (tx_id, position) order. Build it with
    `tx_ordered_batch_query` unless there is a reason not to.
    """

    @property
    def name(self) -> str:
        """Identifies the cursor row and the relay lock; one relay runs per name."""
        ...

    @property
    def notify_channel(self) -> str | None:
        """The LISTEN channel a trigger notifies on insert, or None to rely on polling."""
        ...

    @property
    def batch_query(self) -> str: ...

    @property
    def lag_query(self) -> str | None:
        """Takes `$1` tx_id and `$2` position (the cursor); returns `waiting` (rows after it)
        and `oldest_s` (age of the oldest of them), or None when the source cannot say."""
        ...

    def to_message(self, row: asyncpg.Record) -> OutgoingMessage: ...


# The oldest transaction of *this* database still running as of the statement's snapshot (or the
# snapshot's xmax when none is): rows of transactions below it are all committed or rolled back.
# `pg_snapshot_xmin` alone is server-wide, so a long transaction in a neighbouring database would
# hold every reader here back; transactions of other databases (known from pg_stat_activity) are
# left out. One that ended between the snapshot and that lookup is kept in: late, never wrong.
WATERMARK = """
    coalesce(
        (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
         WHERE NOT EXISTS (
             SELECT 1 FROM pg_stat_activity a
             WHERE a.backend_xid IS NOT NULL
               AND a.datname IS DISTINCT FROM current_database()
               AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)),
        pg_snapshot_xmax(pg_current_snapshot()))
"""


def tx_ordered_batch_query(
    table: str, columns: str, *, tx_id: str = "tx_id", position: str = "position"
) -> str:
    """The standard batch query over a table with an xid8 transaction id and a bigserial column.

    Position alone is not a safe cursor: a transaction that took its position earlier can
    commit later, and a reader tailing by position would skip its rows for good. Reading only
    transactions older than every one of this database still running (`WATERMARK`) and ordering
    by (transaction id, position) sees each transaction's rows whole and never behind the cursor.
    """
    return f"""
        SELECT {tx_id} AS tx_id, {position} AS position, {columns}
        FROM {table}
        WHERE ({tx_id}, {position}) > ($1::xid8, $2::bigint)
          AND {tx_id} < {WATERMARK}
        ORDER BY {tx_id}, {position}
        LIMIT $3
    """


# Counting stops here: past it the number only says "far behind", and counting costs.
LAG_COUNT_LIMIT = 100_000


def tx_ordered_lag_query(
    table: str, created_at: str, *, tx_id: str = "tx_id", position: str = "position"
) -> str:
    """How far behind a relay at the cursor is: rows after it (counted up to a limit) and the
    age of the oldest."""
    return f"""
        SELECT count(*) AS waiting,
               extract(epoch FROM clock_timestamp() - min(created)) AS oldest_s
        FROM (SELECT {created_at} AS created FROM {table}
              WHERE ({tx_id}, {position}) > ($1::xid8, $2::bigint)
              LIMIT {LAG_COUNT_LIMIT}) AS waiting
    """


def cursor_of(row: asyncpg.Record) -> RelayCursor:
    return RelayCursor(tx_id=int(row["tx_id"]), position=int(row["position"]))


async def load_cursor(conn: DbConnection, source: str) -> RelayCursor:
    row = await conn.fetchrow("SELECT tx_id, position FROM outbox_cursor WHERE source = $1", source)
    return RelayCursor() if row is None else cursor_of(row)


async def store_cursor(conn: DbConnection, source: str, cursor: RelayCursor) -> None:
    await conn.execute(
        """
        INSERT INTO outbox_cursor (source, tx_id, position) VALUES ($1, $2::xid8, $3)
        ON CONFLICT (source) DO UPDATE
            SET tx_id = excluded.tx_id, position = excluded.position, updated_at = now()
            -- Never backwards, even if a relay that lost its lock unnoticed writes late.
            WHERE (outbox_cursor.tx_id, outbox_cursor.position)
                < (excluded.tx_id, excluded.position)
        """,
        source,
        cursor.tx_id,
        cursor.position,
    )
