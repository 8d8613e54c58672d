"""Feeds statement_lines from the credits log in commit order, exactly once.

Each batch is one transaction: it takes the projection lock, reads the events after the stored
position (behind the transaction-id watermark, so no committed event is ever passed over),
appends their lines and advances the position. A crash anywhere rolls all of it back; a second
projector finds the lock taken and waits for its next poll.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper

from atelier_credits.adapters.log_rows import domain_event
from atelier_credits.adapters.projection_position import (
    load_position,
    store_position,
    try_lock_projection,
)
from atelier_credits.adapters.statement_table import AccountLine, insert_lines, running_balances
from atelier_credits.domain.statement import RunningBalance, statement_line
from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.lag_gauges import Lag
from atelier_runtime.relay_source import cursor_of, tx_ordered_batch_query

PROJECTION = "statement_lines"

# LEFT JOIN: an event whose account row is missing stalls the projector instead of vanishing.
_BATCH = tx_ordered_batch_query(
    "credits_events e LEFT JOIN account_balances b ON b.aggregate_id = e.originator_id",
    "e.originator_id, e.originator_version, e.topic, e.state, b.account_id",
    tx_id="e.tx_id",
    position="e.notification_id",
)
_BEHIND = """
SELECT count(*) FROM credits_events WHERE (tx_id, notification_id) > ($1::xid8, $2::bigint)
"""
_OLDEST_BEHIND = """
SELECT originator_id, originator_version, topic, state FROM credits_events
WHERE (tx_id, notification_id) > ($1::xid8, $2::bigint)
ORDER BY tx_id, notification_id LIMIT 1
"""

_log = logging.getLogger(__name__)


class ProjectionStalled(RuntimeError):
    """An event the projector cannot place; it stops there rather than skip the event."""


# How far the projection is behind the log.
ProjectionLag = Lag


async def project_batch(conn: DbConnection, mapper: Mapper[UUID], limit: int) -> int:
    """Projects up to `limit` events after the position; the caller's transaction holds the lock."""
    position = await load_position(conn, PROJECTION)
    rows = await conn.fetch(_BATCH, position.tx_id, position.position, limit)
    if not rows:
        return 0
    lines = await _lines_of(conn, mapper, rows)
    if lines:
        await insert_lines(conn, lines)
    await store_position(conn, PROJECTION, cursor_of(rows[-1]))
    return len(rows)


async def _lines_of(
    conn: DbConnection, mapper: Mapper[UUID], rows: list[asyncpg.Record]
) -> list[AccountLine]:
    for row in rows:
        if row["account_id"] is None:
            raise ProjectionStalled(
                f"event {row['originator_id']}:{row['originator_version']} has no account row"
            )
    # Each account's statement continues from its last line already in the table.
    running = await running_balances(conn, {row["account_id"] for row in rows})
    lines: list[AccountLine] = []
    for row in rows:
        account_id = row["account_id"]
        before = running.get(account_id, RunningBalance())
        line, running[account_id] = statement_line(domain_event(mapper, row), before)
        if line is not None:
            lines.append(AccountLine(account_id, line))
    return lines


class StatementProjector:
    """Keeps statement_lines up to date with the credits log; safe to run in several processes."""

    def __init__(self, pool: DbPool, mapper: Mapper[UUID], *, batch_size: int = 500) -> None:
        self._pool = pool
        self._mapper = mapper
        self._batch_size = batch_size
        self.last_lag: ProjectionLag | None = None

    async def project_once(self) -> int:
        """Projects the next batch; returns how many events it covered (0: none, or locked)."""
        async with self._pool.acquire() as conn, conn.transaction():
            if not await try_lock_projection(conn, PROJECTION):
                return 0
            return await project_batch(conn, self._mapper, self._batch_size)

    async def catch_up(self) -> int:
        """Projects batches until the log behind the watermark is covered; returns the events."""
        total = 0
        while (count := await self.project_once()) > 0:
            total += count
        return total

    async def lag(self, now: datetime | None = None) -> ProjectionLag:
        """How far the projection is behind the committed log, for a metric or a health check."""
        async with self._pool.acquire() as conn:
            position = await load_position(conn, PROJECTION)
            behind: int = await conn.fetchval(_BEHIND, position.tx_id, position.position)
            oldest = await conn.fetchrow(_OLDEST_BEHIND, position.tx_id, position.position)
        if oldest is None:
            return ProjectionLag(events=behind, seconds=0.0)
        age = (now or datetime.now(UTC)) - domain_event(self._mapper, oldest).timestamp
        return ProjectionLag(events=behind, seconds=max(0.0, age.total_seconds()))

    async def run(self, poll_interval: float = 1.0, lag_log_interval: float = 60.0) -> None:
        """Projects until cancelled: polls (NOTIFY would serialise ledger commits), logs its lag."""
        next_lag_log = time.monotonic()
        while True:
            try:
                count = await self.project_once()
                if time.monotonic() >= next_lag_log:
                    await self._log_lag()
                    next_lag_log = time.monotonic() + lag_log_interval
            except Exception:
                _log.exception("statement projection failed; retrying")
                count = 0
            if count < self._batch_size:
                await asyncio.sleep(poll_interval)

    async def _log_lag(self) -> None:
        lag = self.last_lag = await self.lag()
        _log.info(
            "statement projection lag",
            extra={"projection": PROJECTION, "lag_events": lag.events, "lag_seconds": lag.seconds},
        )
