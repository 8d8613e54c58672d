"""`daily_grants`: the days on which an account's free credits were granted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from atelier_runtime.db import DbConnection


@dataclass(frozen=True)
class DailyRow:
    plan: str
    amount: int


async def granted(conn: DbConnection, account_id: str, day: date) -> DailyRow | None:
    row = await conn.fetchrow(
        "SELECT plan, amount FROM daily_grants WHERE account_id = $1 AND day = $2",
        account_id,
        day,
    )
    return None if row is None else DailyRow(row["plan"], row["amount"])


async def record(conn: DbConnection, account_id: str, day: date, plan: str, amount: int) -> bool:
    """True when this call recorded the day; False when another call did first."""
    added = await conn.fetchval(
        """
        INSERT INTO daily_grants (account_id, day, plan, amount) VALUES ($1, $2, $3, $4)
        ON CONFLICT DO NOTHING RETURNING true
        """,
        account_id,
        day,
        plan,
        amount,
    )
    return bool(added)
