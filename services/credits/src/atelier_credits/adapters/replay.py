"""Rebuilds the projections (account_balances, statement_lines) from nothing but the log.

All in one transaction: the projection lock first (the projector's lock order), then TRUNCATE,
whose exclusive lock makes ledger writes wait at their balance upsert until the rebuild commits;
they then write their newer rows over the rebuilt ones. Readers never see a half-built table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Mapper

from atelier_credits.adapters.balance_table import upsert_balances
from atelier_credits.adapters.keyed_rows import KeyedRows
from atelier_credits.adapters.log_rows import EVENT_COLUMNS, domain_event
from atelier_credits.adapters.projection_position import lock_projection, store_position
from atelier_credits.adapters.statement_projector import PROJECTION, project_batch
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.replay import replay
from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.relay_source import RelayCursor

_STREAMS = f"SELECT {EVENT_COLUMNS} FROM credits_events ORDER BY originator_id, originator_version"


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    """How far a rebuild has read the log: once to replay balances, once to project lines."""

    accounts_replayed: int
    events_replayed: int
    events_projected: int
    events_total: int


Progress = Callable[[RebuildProgress], None]


@dataclass(frozen=True, slots=True)
class RebuildSummary:
    """What a rebuild read and wrote."""

    accounts: int
    events: int
    lines: int


async def rebuild_projections(
    pool: DbPool,
    mapper: Mapper[UUID],
    *,
    batch_size: int = 500,
    lock_timeout_ms: int = 10_000,
    on_progress: Progress | None = None,
) -> RebuildSummary:
    """Empties both projections and rebuilds them from the log, atomically.

    Ledger writes wait (they do not fail) while it runs; it fails with LockNotAvailableError
    rather than wait longer than `lock_timeout_ms` for readers to release the tables.
    """
    async with pool.acquire() as conn, conn.transaction():
        await lock_projection(conn, PROJECTION)
        # Waiting behind a long reader would queue every ledger write behind us: give up instead.
        await conn.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'")
        await conn.execute("TRUNCATE statement_lines, account_balances")
        await store_position(conn, PROJECTION, RelayCursor())
        total: int = await conn.fetchval("SELECT count(*) FROM credits_events")
        report = _reporter(on_progress, total)
        accounts, events = await _rebuild_balances(conn, mapper, batch_size, report)
        # Lines come after the balances: the projector finds each event's account through them.
        projected = 0
        while (count := await project_batch(conn, mapper, batch_size)) > 0:
            projected += count
            report(accounts, events, projected)
        lines: int = await conn.fetchval("SELECT count(*) FROM statement_lines")
    return RebuildSummary(accounts=accounts, events=events, lines=lines)


def _reporter(on_progress: Progress | None, total: int) -> Callable[[int, int, int], None]:
    def report(accounts: int, events: int, projected: int) -> None:
        if on_progress is not None:
            on_progress(RebuildProgress(accounts, events, projected, total))

    return report


async def _rebuild_balances(
    conn: DbConnection,
    mapper: Mapper[UUID],
    batch_size: int,
    report: Callable[[int, int, int], None],
) -> tuple[int, int]:
    """Replays every stream, one at a time from a server-side cursor; returns (accounts, events)."""
    streams = KeyedRows(conn.cursor(_STREAMS, prefetch=batch_size).__aiter__(), "originator_id")
    pending: list[CreditAccount] = []
    accounts = events = 0
    while (aggregate_id := await streams.next_key()) is not None:
        rows = await streams.take(aggregate_id)
        account = replay(domain_event(mapper, row) for row in rows)
        if account is not None:
            pending.append(account)
        accounts += 1
        events += len(rows)
        if len(pending) >= batch_size:
            await upsert_balances(conn, pending)
            pending.clear()
            report(accounts, events, 0)
    if pending:
        await upsert_balances(conn, pending)
    report(accounts, events, 0)
    return accounts, events
