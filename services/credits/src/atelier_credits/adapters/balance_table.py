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

_UPSERT = """
INSERT INTO account_balances AS b (account_id, aggregate_id, available, frozen, consumed,
    expired, revoked, granted, version, next_expiry, updated_at)
SELECT * FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[],
    $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::timestamptz[], $11::timestamptz[])
ON CONFLICT (account_id) DO UPDATE SET available = excluded.available, frozen = excluded.frozen,
    consumed = excluded.consumed, expired = excluded.expired, revoked = excluded.revoked,
    granted = excluded.granted, version = excluded.version, next_expiry = excluded.next_expiry,
    updated_at = excluded.updated_at
"""


async def upsert_balances(conn: DbConnection, accounts: Sequence[CreditAccount]) -> None:
    """Writes each account's row as of its current version (one statement for all of them)."""
    rows = [balance_row(account) for account in accounts]
    columns: list[list[Any]] = [[getattr(row, name) for row in rows] for name in COLUMNS]
    await conn.execute(_UPSERT, *columns)


def stored_balance_row(record: asyncpg.Record) -> BalanceRow:
    """A BalanceRow read back from the table (a query selecting every column by name)."""
    return BalanceRow(**{name: record[name] for name in COLUMNS})
