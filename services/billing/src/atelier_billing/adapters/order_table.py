"""`ledger_orders`: grants and revocations waiting to reach credits, in order per account."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from atelier_billing.domain.ledger_orders import GrantOrder, LedgerOrder, RevokeOrder
from atelier_runtime.db import DbConnection


@dataclass(frozen=True)
class ClaimedOrder:
    order_id: str
    order: LedgerOrder
    attempts: int


def order_id_of(order: LedgerOrder) -> str:
    # Grant ids and revocation ids are separate namespaces in credits.
    if isinstance(order, GrantOrder):
        return f"grant:{order.grant_id}"
    return f"revoke:{order.revocation_id}"


async def add(conn: DbConnection, order: LedgerOrder) -> bool:
    """Records the order unless one with its id exists; True when this call recorded it."""
    if isinstance(order, GrantOrder):
        values = (
            "grant",
            order.grant_id,
            order.amount,
            order.source,
            order.priority,
            order.expires_at,
            order.returns_revocation,
        )
    else:
        values = ("revoke", order.revocation_id, order.amount, order.reason, 0, None, None)
    added = await conn.fetchval(
        """
        INSERT INTO ledger_orders (order_id, account_id, reference, kind, ledger_id, amount,
                                   source, priority, expires_at, returns_revocation)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (order_id) DO NOTHING RETURNING true
        """,
        order_id_of(order),
        order.account_id,
        order.reference,
        *values,
    )
    return bool(added)


async def claim_next(conn: DbConnection) -> ClaimedOrder | None:
    """The oldest due order whose account has no older one pending, locked for this transaction.

    An account's orders reach credits in the order they were recorded, so a grant that gives
    back a revocation's credits always finds that revocation answered.
    """
    row = await conn.fetchrow(
        """
        SELECT * FROM ledger_orders o
        WHERE state = 'pending' AND next_attempt_at <= now()
          AND NOT EXISTS (SELECT 1 FROM ledger_orders p
                          WHERE p.account_id = o.account_id AND p.state = 'pending'
                            AND p.seq < o.seq)
        ORDER BY seq
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """
    )
    return None if row is None else ClaimedOrder(row["order_id"], _order(row), row["attempts"])


def _order(row: asyncpg.Record) -> LedgerOrder:
    if row["kind"] == "grant":
        return GrantOrder(
            account_id=row["account_id"],
            grant_id=row["ledger_id"],
            amount=row["amount"],
            source=row["source"],
            priority=row["priority"],
            expires_at=row["expires_at"],
            reference=row["reference"],
            returns_revocation=row["returns_revocation"],
        )
    return RevokeOrder(
        account_id=row["account_id"],
        revocation_id=row["ledger_id"],
        amount=row["amount"],
        reason=row["source"],
        reference=row["reference"],
    )


async def mark_delivered(
    conn: DbConnection, order_id: str, *, amount: int, shortfall: int = 0
) -> None:
    await conn.execute(
        """
        UPDATE ledger_orders SET state = 'delivered', delivered_amount = $2, shortfall = $3,
            delivered_at = now(), attempts = attempts + 1
        WHERE order_id = $1
        """,
        order_id,
        amount,
        shortfall,
    )


async def retry_later(conn: DbConnection, order_id: str, error: str, delay_s: float) -> None:
    await conn.execute(
        """
        UPDATE ledger_orders SET attempts = attempts + 1, last_error = $2,
            next_attempt_at = now() + $3 * interval '1 second'
        WHERE order_id = $1
        """,
        order_id,
        error,
        delay_s,
    )


async def mark_failed(conn: DbConnection, order_id: str, error: str) -> None:
    await conn.execute(
        """
        UPDATE ledger_orders SET state = 'failed', last_error = $2, attempts = attempts + 1
        WHERE order_id = $1
        """,
        order_id,
        error,
    )


async def revoked_by(conn: DbConnection, revocation_id: str) -> int | None:
    """What credits took for a revocation (nothing for one that failed); None until answered."""
    amount: int | None = await conn.fetchval(
        """
        SELECT CASE WHEN state = 'failed' THEN 0 ELSE delivered_amount END FROM ledger_orders
        WHERE order_id = $1 AND state IN ('delivered', 'failed')
        """,
        f"revoke:{revocation_id}",
    )
    return amount


async def retry_failed(conn: DbConnection) -> int:
    """Failed orders back to pending (for a replay); returns how many."""
    result = await conn.execute(
        """
        UPDATE ledger_orders SET state = 'pending', attempts = 0, next_attempt_at = now()
        WHERE state = 'failed'
        """
    )
    return int(result.split()[-1])
