"""Daily free credits: one grant per account and UTC day, expiring when the day ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from atelier_billing.domain.ledger_orders import GrantOrder
from atelier_billing.domain.plans import Plan

SOURCE = "daily"


def daily_grant_id(account_id: str, day: date) -> str:
    return f"free:{account_id}:{day.isoformat()}"


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), UTC)


def daily_grant(account_id: str, plan: Plan, day: date, priority: int) -> GrantOrder | None:
    """The day's grant of the plan's free credits; None when the plan gives none."""
    if plan.daily_free_credits <= 0:
        return None
    return GrantOrder(
        account_id=account_id,
        grant_id=daily_grant_id(account_id, day),
        amount=plan.daily_free_credits,
        source=SOURCE,
        priority=priority,
        expires_at=end_of_day(day),
        reference=f"{plan.name}:{day.isoformat()}",
    )
