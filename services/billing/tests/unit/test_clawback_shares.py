"""Refunds claw back their share of a payment, adding up and never past it; disputes hold what
stands and give it back when won."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from atelier_billing.domain.payments import (
    PaymentRecord,
    after_dispute_opened,
    after_dispute_won,
    after_refund,
)

PAYMENT = PaymentRecord(
    payment_id="in_1",
    account_id="acct-1",
    kind="subscription",
    price_id="price_pro_monthly",
    product="pro",
    amount_cents=2000,
    currency="usd",
    credits=2000,
    priority=10,
    expires_at=None,
    paid_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def test_a_partial_refund_claws_back_its_share() -> None:
    clawback, after = after_refund(PAYMENT, added_refund_cents=500)

    assert clawback == 500
    assert after.standing == 1500


@given(st.lists(st.integers(min_value=1, max_value=900), min_size=1, max_size=8))
def test_partial_refunds_add_up_and_never_pass_the_payment(refunds: list[int]) -> None:
    payment, total = PAYMENT, 0
    for cents in refunds:
        clawback, payment = after_refund(payment, added_refund_cents=cents)
        total += clawback

    assert total == PAYMENT.credits * min(sum(refunds), 2000) // 2000


def test_a_charge_total_and_the_refunds_it_sums_count_once() -> None:
    first, payment = after_refund(PAYMENT, added_refund_cents=700)
    again, payment = after_refund(payment, reported_cents=700)
    more, payment = after_refund(payment, reported_cents=2000)

    assert (first, again, more) == (700, 0, 1300)


def test_a_dispute_holds_what_refunds_left_and_a_win_returns_it() -> None:
    _, refunded = after_refund(PAYMENT, added_refund_cents=500)

    held, disputed = after_dispute_opened(refunded)
    restored = after_dispute_won(disputed, held)

    assert (held, disputed.standing, restored.standing) == (1500, 0, 1500)
