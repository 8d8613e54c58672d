"""Payments that granted credits, the ids that lead to them, and their refunds and disputes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from atelier_billing.domain.payments import PaymentRecord
from atelier_runtime.db import DbConnection

_COLUMNS = """payment_id, account_id, kind, price_id, product, amount_cents, currency, credits,
    priority, expires_at, paid_at, period_start, period_end, refunded_by_refunds_cents,
    refunded_reported_cents, refund_clawback, dispute_clawback"""


@dataclass(frozen=True)
class DisputeRow:
    dispute_id: str
    payment_id: str
    held: int
    # open, won or lost.
    outcome: str


def _payment(row: asyncpg.Record) -> PaymentRecord:
    values = dict(row.items())
    values.pop("seq", None)
    return PaymentRecord(**values)


async def insert_payment(conn: DbConnection, payment: PaymentRecord, refs: Sequence[str]) -> bool:
    """Records the payment and the refs that name it; False when it was recorded before."""
    values = [getattr(payment, column.strip()) for column in _COLUMNS.split(",")]
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    added = await conn.fetchval(
        f"""
        INSERT INTO payments ({_COLUMNS}) VALUES ({placeholders})
        ON CONFLICT (payment_id) DO NOTHING RETURNING true
        """,
        *values,
    )
    await add_refs(conn, payment.payment_id, refs)
    return bool(added)


async def add_refs(conn: DbConnection, payment_id: str, refs: Sequence[str]) -> None:
    if refs:
        await conn.execute(
            """
            INSERT INTO payment_refs (ref, payment_id)
            SELECT r, $2 FROM unnest($1::text[]) AS r
            ON CONFLICT (ref) DO NOTHING
            """,
            list(refs),
            payment_id,
        )


async def payment_named_by(conn: DbConnection, refs: Sequence[str]) -> PaymentRecord | None:
    """The payment one of `refs` leads to, locked until the transaction ends."""
    if not refs:
        return None
    row = await conn.fetchrow(
        f"""
        SELECT {_COLUMNS} FROM payments
        WHERE payment_id = (SELECT payment_id FROM payment_refs WHERE ref = ANY($1::text[])
                            ORDER BY array_position($1::text[], ref) LIMIT 1)
        FOR UPDATE
        """,
        list(refs),
    )
    return None if row is None else _payment(row)


async def payment_by_id(conn: DbConnection, payment_id: str) -> PaymentRecord | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM payments WHERE payment_id = $1 FOR UPDATE", payment_id
    )
    return None if row is None else _payment(row)


async def save_clawbacks(conn: DbConnection, payment: PaymentRecord) -> None:
    await conn.execute(
        """
        UPDATE payments SET refunded_by_refunds_cents = $2, refunded_reported_cents = $3,
            refund_clawback = $4, dispute_clawback = $5
        WHERE payment_id = $1
        """,
        payment.payment_id,
        payment.refunded_by_refunds_cents,
        payment.refunded_reported_cents,
        payment.refund_clawback,
        payment.dispute_clawback,
    )


async def record_refund(
    conn: DbConnection, refund_id: str, payment_id: str, amount_cents: int, clawback: int
) -> None:
    await conn.execute(
        "INSERT INTO refunds (refund_id, payment_id, amount_cents, clawback) VALUES ($1, $2, $3, $4)",
        refund_id,
        payment_id,
        amount_cents,
        clawback,
    )


async def refund_known(conn: DbConnection, refund_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM refunds WHERE refund_id = $1", refund_id))


async def dispute(conn: DbConnection, dispute_id: str) -> DisputeRow | None:
    row = await conn.fetchrow(
        "SELECT dispute_id, payment_id, held, outcome FROM disputes WHERE dispute_id = $1",
        dispute_id,
    )
    return None if row is None else DisputeRow(**dict(row))


async def save_dispute(conn: DbConnection, row: DisputeRow) -> None:
    await conn.execute(
        """
        INSERT INTO disputes (dispute_id, payment_id, held, outcome) VALUES ($1, $2, $3, $4)
        ON CONFLICT (dispute_id) DO UPDATE SET held = excluded.held, outcome = excluded.outcome
        """,
        row.dispute_id,
        row.payment_id,
        row.held,
        row.outcome,
    )


async def record_failed_payment(
    conn: DbConnection,
    *,
    invoice_id: str,
    attempt_count: int,
    account_id: str,
    subscription_id: str | None,
    amount_due_cents: int,
    currency: str,
) -> bool:
    """Records one failed attempt; False when that attempt was recorded before."""
    added = await conn.fetchval(
        """
        INSERT INTO failed_payments (invoice_id, attempt_count, account_id, subscription_id,
                                     amount_due_cents, currency)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT DO NOTHING RETURNING true
        """,
        invoice_id,
        attempt_count,
        account_id,
        subscription_id,
        amount_due_cents,
        currency,
    )
    return bool(added)


async def payments_page(
    conn: DbConnection, account_id: str, before_seq: int | None, limit: int
) -> list[tuple[int, PaymentRecord]]:
    """The account's payments, newest first, older than `before_seq` when given."""
    rows = await conn.fetch(
        f"""
        SELECT seq, {_COLUMNS} FROM payments
        WHERE account_id = $1 AND ($2::bigint IS NULL OR seq < $2)
        ORDER BY seq DESC LIMIT $3
        """,
        account_id,
        before_seq,
        limit,
    )
    return [(row["seq"], _payment(row)) for row in rows]
