"""`subscriptions`: each subscription's latest known state."""

from __future__ import annotations

import asyncpg

from atelier_billing.domain.facts import Period
from atelier_billing.domain.subscriptions import GOOD_STANDING, SubscriptionRecord
from atelier_runtime.db import DbConnection

_COLUMNS = """subscription_id, account_id, customer_id, status, price_id, period_start,
    period_end, cancel_at_period_end, as_of, past_due, past_due_as_of"""


def _record(row: asyncpg.Record) -> SubscriptionRecord:
    start, end = row["period_start"], row["period_end"]
    return SubscriptionRecord(
        subscription_id=row["subscription_id"],
        account_id=row["account_id"],
        customer_id=row["customer_id"],
        status=row["status"],
        price_id=row["price_id"],
        period=Period(start, end) if start is not None and end is not None else None,
        cancel_at_period_end=row["cancel_at_period_end"],
        as_of=row["as_of"],
        past_due=row["past_due"],
        past_due_as_of=row["past_due_as_of"],
    )


async def load(conn: DbConnection, subscription_id: str) -> SubscriptionRecord | None:
    """The subscription, locked until the transaction ends."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM subscriptions WHERE subscription_id = $1 FOR UPDATE",
        subscription_id,
    )
    return None if row is None else _record(row)


async def save(conn: DbConnection, record: SubscriptionRecord) -> None:
    period = record.period
    await conn.execute(
        f"""
        INSERT INTO subscriptions ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (subscription_id) DO UPDATE SET
            account_id = excluded.account_id, customer_id = excluded.customer_id,
            status = excluded.status, price_id = excluded.price_id,
            period_start = excluded.period_start, period_end = excluded.period_end,
            cancel_at_period_end = excluded.cancel_at_period_end, as_of = excluded.as_of,
            past_due = excluded.past_due, past_due_as_of = excluded.past_due_as_of,
            updated_at = now()
        """,
        record.subscription_id,
        record.account_id,
        record.customer_id,
        record.status,
        record.price_id,
        period.start if period else None,
        period.end if period else None,
        record.cancel_at_period_end,
        record.as_of,
        record.past_due,
        record.past_due_as_of,
    )


async def current_for_account(conn: DbConnection, account_id: str) -> SubscriptionRecord | None:
    """The subscription that decides the account's plan: one in good standing, newest first."""
    row = await conn.fetchrow(
        f"""
        SELECT {_COLUMNS} FROM subscriptions WHERE account_id = $1
        ORDER BY status = ANY($2::text[]) DESC, as_of DESC, updated_at DESC
        LIMIT 1
        """,
        account_id,
        sorted(GOOD_STANDING),
    )
    return None if row is None else _record(row)
