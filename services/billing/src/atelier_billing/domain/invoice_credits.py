"""What a paid subscription invoice grants.

A period's credits are two grants. The part beyond the plan's rollover cap expires at the
period's end plus a grace; the capped part lives one period longer. Credits draws the earliest
expiry first within a priority, so the longer-lived part is spent last, and what is left of it
when the period ends is exactly what the period left, up to the cap: the rollover, with no
balance to read and nothing granted twice. An upgrade invoice (proration lines) tops the account
up by the difference between the new plan's credits and the old one's, for the rest of the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from atelier_billing.domain.facts import InvoiceLine, InvoicePaid, Period
from atelier_billing.domain.ledger_orders import GrantOrder
from atelier_billing.domain.plans import Plan, PlanBook

SOURCE = "subscription"


@dataclass(frozen=True)
class InvoiceCredits:
    """The grants of one invoice, and what its refunds and disputes are measured against."""

    plan: Plan
    price_id: str
    orders: tuple[GrantOrder, ...]
    period: Period
    # When the period's main grant expires; credits given back after a dispute expire then too.
    expires_at: datetime

    @property
    def credits(self) -> int:
        return sum(order.amount for order in self.orders)


def _plan_lines(
    invoice: InvoicePaid, plans: PlanBook, *, proration: bool, sign: int
) -> list[tuple[InvoiceLine, Plan]]:
    return [
        (line, plan)
        for line in invoice.lines
        if line.proration == proration
        and line.amount_cents * sign > 0
        and (plan := plans.plan_for_price(line.price_id)) is not None
    ]


def _credits(lines: list[tuple[InvoiceLine, Plan]]) -> int:
    return sum(plan.monthly_credits * line.quantity for line, plan in lines)


def invoice_credits(
    invoice: InvoicePaid, account_id: str, plans: PlanBook, grace: timedelta
) -> InvoiceCredits | None:
    """The invoice's grants; None when no line buys a plan (a pack's invoice, a zero-amount trial)."""
    full = _plan_lines(invoice, plans, proration=False, sign=1)
    added = _plan_lines(invoice, plans, proration=True, sign=1)
    removed = _plan_lines(invoice, plans, proration=True, sign=-1)
    leads = full or added
    if not leads:
        return None
    line, plan = leads[0]
    period = line.period or invoice.fallback_period
    expires_at = period.end + grace

    def grant(suffix: str, amount: int, expiry: datetime) -> GrantOrder:
        return GrantOrder(
            account_id=account_id,
            grant_id=f"invoice:{invoice.invoice_id}{suffix}",
            amount=amount,
            source=SOURCE,
            priority=plan.grant_priority,
            expires_at=expiry,
            reference=invoice.invoice_id,
        )

    base = _credits(full)
    carried = min(plan.rollover_cap, base)
    top_up = max(0, _credits(added) - _credits(removed))
    orders = [
        grant("", base - carried, expires_at),
        grant(":rollover", carried, expires_at + (period.end - period.start)),
        grant(":upgrade", top_up, expires_at),
    ]
    return InvoiceCredits(
        plan=plan,
        price_id=plan.price_id or "",
        orders=tuple(order for order in orders if order.amount > 0),
        period=period,
        expires_at=expires_at,
    )
