"""The account_balances table: one row per account, written with the events that change it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import asyncpg

from atelier_credits.application.balance_row import BalanceRow, balance_row
from atelier_credits.domain import CreditAccount
from atelier_runtime.db import DbConnection

# Column order of the table and of BalanceRow alike.
COLUMNS = tuple(field.name for field in fields(BalanceRow))

# Every other column is a bigint.
_NOT_BIGINT = {
    "account_id": "text",
    "aggregate_id": "uuid",
    "next_expiry": "timestamptz",
    "updated_at": "timestamptz",
}


def upsert_statement(first_parameter: int = 1) -> str:
    """Upserts many rows from one array per column, numbered from `$first_parameter` on.

    The numbering lets the store embed this statement after its own parameters (see
    postgres_store), so events and balances commit in one statement.
    """
    arrays = ", ".join(
        f"${first_parameter + i}::{_NOT_BIGINT.get(name, 'bigint')}[]"
        for i, name in enumerate(COLUMNS)
    )
    updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMNS[2:])
    return (
        f"INSERT INTO account_balances AS b ({', '.join(COLUMNS)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT (account_id) DO UPDATE SET {updates}"
    )


def balance_columns(accounts: Sequence[CreditAccount]) -> list[list[Any]]:
    """The arrays `upsert_statement` takes: each account's row as of its current version."""
    rows = [balance_row(account) for account in accounts]
    return [[getattr(row, name) for row in rows] for name in COLUMNS]


_UPSERT = upsert_statement()


async def upsert_balances(conn: DbConnection, accounts: Sequence[CreditAccount]) -> None:
    """Writes each account's row as of its current version (one statement for all of them)."""
    await conn.execute(_UPSERT, *balance_columns(accounts))


def stored_balance_row(record: asyncpg.Record) -> BalanceRow:
    """A BalanceRow read back from the table (a query selecting every column by name)."""
    return BalanceRow(**{name: record[name] for name in COLUMNS})
