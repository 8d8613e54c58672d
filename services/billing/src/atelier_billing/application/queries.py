"""Reads: an account's subscription and payments, and the events that are stuck."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from atelier_billing.adapters import event_table, payment_tables, subscription_table
from atelier_billing.adapters.event_table import StuckEvent
from atelier_billing.domain.payments import PaymentRecord
from atelier_billing.domain.plans import Plan, PlanBook
from atelier_billing.domain.subscriptions import SubscriptionRecord, plan_of
from atelier_runtime.db import DbPool


@dataclass(frozen=True)
class SubscriptionView:
    account_id: str
    plan: Plan
    subscription: SubscriptionRecord | None


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # Where the next page starts; None on the last page.
    next_cursor: int | None


class BillingQueries:
    def __init__(self, pool: DbPool, plans: PlanBook) -> None:
        self._pool = pool
        self._plans = plans

    async def subscription(self, account_id: str) -> SubscriptionView:
        async with self._pool.acquire() as conn:
            record = await subscription_table.current_for_account(conn, account_id)
        return SubscriptionView(account_id, plan_of(record, self._plans), record)

    async def payments(
        self, account_id: str, *, limit: int, before: int | None
    ) -> Page[PaymentRecord]:
        async with self._pool.acquire() as conn:
            rows = await payment_tables.payments_page(conn, account_id, before, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([payment for _, payment in rows], rows[-1][0] if more else None)

    async def stuck_events(self, *, limit: int, after: int) -> Page[StuckEvent]:
        async with self._pool.acquire() as conn:
            rows = await event_table.stuck_page(conn, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, rows[-1].seq if more else None)
