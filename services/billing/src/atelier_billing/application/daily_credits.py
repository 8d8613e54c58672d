"""Daily free credits: granted the first time an account is seen on a UTC day.

The grant goes straight to credits (idempotent by `free:<account>:<date>`), because the caller
shows the balance right after; a row per account and day spares the call on later sightings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from atelier_billing.adapters import daily_table, subscription_table
from atelier_billing.application.ports import Ledger, LedgerRefused
from atelier_billing.domain.daily import daily_grant, daily_grant_id, end_of_day
from atelier_billing.domain.plans import PlanBook
from atelier_billing.domain.subscriptions import plan_of
from atelier_runtime.db import DbPool


@dataclass(frozen=True)
class DailyOutcome:
    granted: bool
    amount: int
    grant_id: str
    day: date
    expires_at: datetime
    plan: str


class DailyCredits:
    def __init__(
        self, pool: DbPool, ledger: Ledger, plans: PlanBook, clock: Callable[[], datetime]
    ) -> None:
        self._pool = pool
        self._ledger = ledger
        self._plans = plans
        self._clock = clock

    async def grant_today(self, account_id: str) -> DailyOutcome:
        day = self._clock().date()
        async with self._pool.acquire() as conn:
            earlier = await daily_table.granted(conn, account_id, day)
            if earlier is not None:
                return self._outcome(False, earlier.amount, account_id, day, earlier.plan)
            subscription = await subscription_table.current_for_account(conn, account_id)
        plan = plan_of(subscription, self._plans)
        order = daily_grant(account_id, plan, day, self._plans.daily_grant_priority)
        if order is None:
            return DailyOutcome(False, 0, "", day, end_of_day(day), plan.name)
        try:
            await self._ledger.grant(order)
        except LedgerRefused as refusal:
            # The id was granted today with another amount (the plan changed since): it counts.
            if refusal.reason != "IDEMPOTENCY_CONFLICT":
                raise
        async with self._pool.acquire() as conn:
            first = await daily_table.record(conn, account_id, day, plan.name, order.amount)
        return self._outcome(first, order.amount, account_id, day, plan.name)

    def _outcome(
        self, granted: bool, amount: int, account_id: str, day: date, plan: str
    ) -> DailyOutcome:
        grant_id = daily_grant_id(account_id, day)
        return DailyOutcome(granted, amount, grant_id, day, end_of_day(day), plan)
