"""Subscription changes in any arrival order: the newest wins, and of two stamped in the same
second, the later stage of the subscription's life."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from atelier_billing.domain.facts import Attribution, SubscriptionChanged
from atelier_billing.domain.subscriptions import SubscriptionRecord, applied

T = datetime(2026, 1, 1, tzinfo=UTC)


def change(status: str, at: datetime, price: str = "price_basic_monthly") -> SubscriptionChanged:
    return SubscriptionChanged(
        subscription_id="sub_1",
        who=Attribution("acct-1", "sub_1", "cus_1"),
        status=status,
        price_id=price,
        period=None,
        cancel_at_period_end=False,
        as_of=at,
    )


def final(changes: tuple[SubscriptionChanged, ...]) -> SubscriptionRecord:
    record = None
    for c in changes:
        record = applied(record, c, "acct-1")
    assert record is not None
    return record


def test_the_newest_change_wins_in_any_order() -> None:
    changes = (
        change("incomplete", T),
        change("active", T + timedelta(seconds=5)),
        change("active", T + timedelta(seconds=9), "price_pro_monthly"),
    )

    for order in itertools.permutations(changes):
        record = final(order)
        assert (record.status, record.price_id) == ("active", "price_pro_monthly")


def test_created_and_activated_in_the_same_second_ends_active_in_either_order() -> None:
    created, activated = change("incomplete", T), change("active", T)

    assert final((created, activated)).status == "active"
    assert final((activated, created)).status == "active"


def test_a_cancellation_stamped_with_an_update_still_cancels() -> None:
    assert final((change("canceled", T), change("active", T))).status == "canceled"
