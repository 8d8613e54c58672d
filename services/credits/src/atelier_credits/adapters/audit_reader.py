"""Streams the credits database into the Auditor, account by account, in bounded memory.

One read-only REPEATABLE READ transaction gives the log and both projections as of a single
instant; three server-side cursors ordered by aggregate id are merged so each account's events,
balance row and statement lines arrive together, without loading the whole log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper

from atelier_credits.adapters.balance_table import COLUMNS as BALANCE_COLUMNS
from atelier_credits.adapters.balance_table import stored_balance_row
from atelier_credits.adapters.keyed_rows import KeyedRows
from atelier_credits.adapters.log_rows import domain_event
from atelier_credits.adapters.statement_projector import PROJECTION
from atelier_credits.adapters.statement_table import LINE_COLUMNS, stored_line
from atelier_credits.application.audit import AccountLog, Auditor, AuditReport, LoggedEvent
from atelier_credits.domain import CreditAccount
from atelier_runtime.db import DbConnection


@dataclass(frozen=True, slots=True)
class AuditProgress:
    """How far an audit has read: accounts and events so far, of `events_total`."""

    accounts: int
    events: int
    events_total: int


Progress = Callable[[AuditProgress], None]

_PREFETCH = 1000
_COUNT = "SELECT count(*) FROM credits_events WHERE $1::uuid IS NULL OR originator_id = $1"
# An event has a line once the projector's position is at or past it (commit order).
_EVENTS = """
SELECT e.originator_id, e.originator_version, e.topic, e.state,
    coalesce((e.tx_id, e.notification_id) <= (p.tx_id, p.notification_id), false) AS projected
FROM credits_events e LEFT JOIN projection_positions p ON p.projection = $2
WHERE $1::uuid IS NULL OR e.originator_id = $1
ORDER BY e.originator_id, e.originator_version
"""
_BALANCES = f"""
SELECT {", ".join(BALANCE_COLUMNS)} FROM account_balances
WHERE $1::uuid IS NULL OR aggregate_id = $1
ORDER BY aggregate_id
"""
_LINES = f"""
SELECT b.aggregate_id, {", ".join("l." + name for name in LINE_COLUMNS)}
FROM statement_lines l JOIN account_balances b ON b.account_id = l.account_id
WHERE $1::uuid IS NULL OR b.aggregate_id = $1
ORDER BY b.aggregate_id, l.version
"""
# Events the statement projector has not reached, and how long ago the oldest was committed.
_WAITING = """
SELECT count(*) AS waiting, extract(epoch FROM clock_timestamp() - min(e.recorded_at)) AS oldest_s
FROM credits_events e LEFT JOIN projection_positions p ON p.projection = $2
WHERE ($1::uuid IS NULL OR e.originator_id = $1)
    AND (p.tx_id IS NULL OR (e.tx_id, e.notification_id) > (p.tx_id, p.notification_id))
"""
_UNMATCHED_LINES = """
SELECT l.account_id, count(*) AS lines FROM statement_lines l
WHERE NOT EXISTS (SELECT 1 FROM account_balances b WHERE b.account_id = l.account_id)
    AND ($1::text IS NULL OR l.account_id = $1)
GROUP BY l.account_id ORDER BY l.account_id
"""


async def audit_database(
    conn: DbConnection,
    mapper: Mapper[UUID],
    *,
    account_id: str | None = None,
    on_progress: Progress | None = None,
) -> AuditReport:
    """Audits every account (or only `account_id`) of the credits database behind `conn`."""
    aggregate_id = None if account_id is None else CreditAccount.id_for(account_id)
    auditor = Auditor()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        total: int = await conn.fetchval(_COUNT, aggregate_id)
        events = _keyed(conn, _EVENTS, "originator_id", aggregate_id, PROJECTION)
        balances = _keyed(conn, _BALANCES, "aggregate_id", aggregate_id)
        lines = _keyed(conn, _LINES, "aggregate_id", aggregate_id)
        while (key := await _next_key(events, balances, lines)) is not None:
            balance_rows = await balances.take(key)
            auditor.audit_account(
                AccountLog(
                    aggregate_id=key,
                    events=[
                        LoggedEvent(domain_event(mapper, row), row["projected"])
                        for row in await events.take(key)
                    ],
                    balance=stored_balance_row(balance_rows[0]) if balance_rows else None,
                    lines=[stored_line(row) for row in await lines.take(key)],
                )
            )
            if on_progress is not None:
                report = auditor.report
                on_progress(AuditProgress(report.accounts, report.events, total))
        for row in await conn.fetch(_UNMATCHED_LINES, account_id):
            auditor.unmatched_lines(row["account_id"], row["lines"])
        waiting = await conn.fetchrow(_WAITING, aggregate_id, PROJECTION)
        if waiting is not None and waiting["waiting"]:
            auditor.projection_waiting(waiting["waiting"], float(waiting["oldest_s"] or 0))
    return auditor.report


def _keyed(conn: DbConnection, query: str, key: str, *args: Any) -> KeyedRows:
    return KeyedRows(conn.cursor(query, *args, prefetch=_PREFETCH).__aiter__(), key)


async def _next_key(*sources: KeyedRows) -> UUID | None:
    keys = [key for source in sources if (key := await source.next_key()) is not None]
    return min(keys) if keys else None
