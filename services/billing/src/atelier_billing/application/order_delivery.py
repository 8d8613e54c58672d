"""The worker that delivers recorded ledger orders to credits, with retries.

An order is claimed (`FOR UPDATE SKIP LOCKED`), sent, and marked delivered in one transaction.
A crash after credits applied it but before the mark leaves it pending; it is sent again and
credits, idempotent by the order's id, answers as the first time. So nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from atelier_billing.adapters import order_table
from atelier_billing.adapters.notifications import wait_for
from atelier_billing.application.ports import Ledger, LedgerRefused
from atelier_billing.domain.ledger_orders import GrantOrder, LedgerOrder
from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.dead_letters import describe

_log = logging.getLogger(__name__)
_MAX_BACKOFF_S = 300.0


class NotAnsweredYet(Exception):
    """A grant that returns a revocation's credits waits until that revocation is answered."""


def backoff_s(attempts: int) -> float:
    return min(_MAX_BACKOFF_S, 0.5 * 2.0 ** min(attempts, 20))


class OrderDelivery:
    def __init__(self, pool: DbPool, ledger: Ledger, *, wake: asyncio.Event, poll_s: float) -> None:
        self._pool = pool
        self._ledger = ledger
        self._wake = wake
        self._poll_s = poll_s

    async def run(self) -> None:
        while True:
            try:
                while await self.deliver_next():
                    pass
            except Exception:
                _log.exception("ledger order delivery failed; retrying")
            await wait_for(self._wake, self._poll_s)

    async def deliver_next(self) -> bool:
        """Delivers (or reschedules) the oldest due order; False when there was none."""
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await order_table.claim_next(conn)
            if claimed is None:
                return False
            try:
                amount, shortfall = await self._send(conn, claimed.order)
            except LedgerRefused as refusal:
                _log.error(
                    "ledger refused an order",
                    extra={"order_id": claimed.order_id, "reason": refusal.reason},
                )
                await order_table.mark_failed(conn, claimed.order_id, describe(refusal))
            except Exception as error:
                delay = backoff_s(claimed.attempts)
                _log.warning(
                    "ledger order not delivered; retrying",
                    extra={"order_id": claimed.order_id, "error": describe(error), "in_s": delay},
                )
                await order_table.retry_later(conn, claimed.order_id, describe(error), delay)
            else:
                await order_table.mark_delivered(
                    conn, claimed.order_id, amount=amount, shortfall=shortfall
                )
        return True

    async def _send(self, conn: DbConnection, order: LedgerOrder) -> tuple[int, int]:
        """(credits moved, shortfall) once the ledger has applied the order."""
        if not isinstance(order, GrantOrder):
            revoked = await self._ledger.revoke(order)
            return revoked.revoked, revoked.shortfall
        if order.returns_revocation is not None:
            taken = await order_table.revoked_by(conn, order.returns_revocation)
            if taken is None:
                raise NotAnsweredYet(f"{order.returns_revocation} is not answered yet")
            if taken == 0:
                return 0, 0
            order = replace(order, amount=taken)
        await self._ledger.grant(order)
        return order.amount, 0
