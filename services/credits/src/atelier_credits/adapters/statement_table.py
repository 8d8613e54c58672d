"""The statement_lines table: an account's lines keyed by the version of the event behind each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import asyncpg

from atelier_credits.domain.statement import RunningBalance, StatementLine
from atelier_runtime.db import DbConnection

LINE_COLUMNS = tuple(field.name for field in fields(StatementLine))

# A plain INSERT: a line projected twice fails on the primary key instead of hiding the bug.
_INSERT = """
INSERT INTO statement_lines (account_id, version, kind, entry_id, amount, available_after,
    frozen_after, reference, occurred_at)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
    $6::bigint[], $7::bigint[], $8::text[], $9::timestamptz[])
"""
# One index probe per account: DISTINCT ON over `account_id = ANY(...)` reads every line of
# each account, so projecting got slower as an account's history grew.
_LAST_LINES = """
SELECT wanted.account_id, last.available_after, last.frozen_after
FROM unnest($1::text[]) AS wanted(account_id)
CROSS JOIN LATERAL (
    SELECT available_after, frozen_after FROM statement_lines
    WHERE account_id = wanted.account_id ORDER BY version DESC LIMIT 1
) AS last
"""


@dataclass(frozen=True, slots=True)
class AccountLine:
    """A statement line with the account it belongs to, as the table stores it."""

    account_id: str
    line: StatementLine


async def insert_lines(conn: DbConnection, lines: Sequence[AccountLine]) -> None:
    """Appends lines; fails if any (account, version) already has one."""
    columns: list[list[Any]] = [[entry.account_id for entry in lines]]
    columns += [[getattr(entry.line, name) for entry in lines] for name in LINE_COLUMNS]
    await conn.execute(_INSERT, *columns)


async def running_balances(
    conn: DbConnection, account_ids: Iterable[str]
) -> dict[str, RunningBalance]:
    """Each account's balance after its last line; accounts without lines are left out."""
    rows = await conn.fetch(_LAST_LINES, list(account_ids))
    return {
        row["account_id"]: RunningBalance(
            available=row["available_after"], frozen=row["frozen_after"]
        )
        for row in rows
    }


def stored_line(record: asyncpg.Record) -> StatementLine:
    """A StatementLine read back from a query selecting every line column by name."""
    return StatementLine(**{name: record[name] for name in LINE_COLUMNS})
