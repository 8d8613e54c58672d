"""An account's subscription as billing knows it, and the plan it puts the account on.

Stripe delivers events in no particular order, so a change applies only when it is at least as
recent (by the event's creation time) as the one it would replace. Being past due has its own
clock, since a failed payment says nothing about the rest of the subscription.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from atelier_billing.domain.facts import Period, SubscriptionChanged
from atelier_billing.domain.plans import Plan, PlanBook

# The statuses in which the subscription's plan applies: provisioned, or being retried.
GOOD_STANDING = frozenset({"trialing", "active", "past_due"})
# How far along its life a status is. Stripe stamps events in whole seconds, and a subscription
# is often created and activated within one: of two changes stamped alike, the later stage wins.
_STAGE = {
    "unknown": 0,
    "incomplete": 1,
    "trialing": 2,
    "active": 3,
    "paused": 4,
    "past_due": 4,
    "unpaid": 5,
    "incomplete_expired": 6,
    "canceled": 6,
}
NEVER = datetime.fromtimestamp(0, UTC)


@dataclass(frozen=True)
class SubscriptionRecord:
    subscription_id: str
    account_id: str
    customer_id: str | None = None
    # "unknown" until a subscription event says (a failed payment may come first).
    status: str = "unknown"
    price_id: str | None = None
    period: Period | None = None
    cancel_at_period_end: bool = False
    as_of: datetime = NEVER
    past_due: bool = False
    past_due_as_of: datetime = NEVER


def plan_of(record: SubscriptionRecord | None, plans: PlanBook) -> Plan:
    if record is None or record.status not in GOOD_STANDING:
        return plans.default
    return plans.plan_for_price(record.price_id) or plans.default


def applied(
    record: SubscriptionRecord | None, change: SubscriptionChanged, account_id: str
) -> SubscriptionRecord:
    """The record after `change`, unchanged when `change` is older than what it holds."""
    current = record or SubscriptionRecord(change.subscription_id, account_id)
    if (change.as_of, _stage(change.status)) < (current.as_of, _stage(current.status)):
        return current
    updated = replace(
        current,
        account_id=account_id,
        customer_id=change.who.customer_id or current.customer_id,
        status=change.status,
        price_id=change.price_id or current.price_id,
        period=change.period or current.period,
        cancel_at_period_end=change.cancel_at_period_end,
        as_of=change.as_of,
    )
    return with_past_due(updated, change.status == "past_due", change.as_of)


def _stage(status: str) -> int:
    return _STAGE.get(status, 0)


def with_past_due(
    record: SubscriptionRecord, past_due: bool, as_of: datetime
) -> SubscriptionRecord:
    """Sets the flag when `as_of` is at least as recent as what set it last."""
    if as_of < record.past_due_as_of:
        return record
    return replace(record, past_due=past_due, past_due_as_of=as_of)


def what_others_see(record: SubscriptionRecord, plans: PlanBook) -> tuple[object, ...]:
    """The parts of a subscription that a plan change event reports."""
    return (
        plan_of(record, plans).name,
        record.status,
        record.price_id,
        record.period,
        record.cancel_at_period_end,
        record.past_due,
    )
