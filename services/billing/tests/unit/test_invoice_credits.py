"""What a paid invoice grants: the period's credits with a capped rollover, or an upgrade top-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from atelier_billing.adapters.plan_file import load_plans
from atelier_billing.domain.facts import Attribution, InvoiceLine, InvoicePaid, PaymentRefs, Period
from atelier_billing.domain.invoice_credits import invoice_credits

PLANS = load_plans(None)
GRACE = timedelta(days=3)
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 31, tzinfo=UTC)
PERIOD = Period(START, END)


def invoice(*lines: InvoiceLine) -> InvoicePaid:
    return InvoicePaid(
        invoice_id="in_1",
        who=Attribution("acct-1"),
        lines=lines,
        amount_paid_cents=sum(line.amount_cents for line in lines),
        currency="usd",
        refs=PaymentRefs(invoices=("in_1",)),
        fallback_period=PERIOD,
    )


def line(price: str, amount: int, *, proration: bool = False) -> InvoiceLine:
    return InvoiceLine(price, amount, 1, proration, PERIOD)


def test_a_period_grants_the_plan_in_two_parts_the_capped_one_living_a_period_longer() -> None:
    credits = invoice_credits(invoice(line("price_pro_monthly", 2000)), "acct-1", PLANS, GRACE)

    assert credits is not None
    assert credits.credits == 2000
    main, carried = credits.orders
    assert (main.grant_id, main.amount, main.expires_at) == ("invoice:in_1", 1000, END + GRACE)
    assert (carried.grant_id, carried.amount) == ("invoice:in_1:rollover", 1000)
    assert carried.expires_at == END + GRACE + (END - START)
    assert {o.source for o in credits.orders} == {"subscription"}
    assert {o.reference for o in credits.orders} == {"in_1"}


def test_an_upgrade_tops_up_by_the_difference_between_the_plans() -> None:
    lines = (
        line("price_basic_monthly", -300, proration=True),
        line("price_pro_monthly", 1500, proration=True),
    )

    credits = invoice_credits(invoice(*lines), "acct-1", PLANS, GRACE)

    assert credits is not None
    assert credits.plan.name == "pro"
    assert [(o.grant_id, o.amount) for o in credits.orders] == [("invoice:in_1:upgrade", 1600)]


def test_packs_trials_and_unknown_prices_grant_nothing_from_an_invoice() -> None:
    for lines in ([line("price_pack_500", 1000)], [line("price_pro_monthly", 0)], [line("x", 5)]):
        assert invoice_credits(invoice(*lines), "acct-1", PLANS, GRACE) is None
