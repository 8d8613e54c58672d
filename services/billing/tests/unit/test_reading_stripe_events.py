"""The 2025-03-31 shapes and the older ones read as the same facts."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from services.billing.tests.stripe_fake import MONTH, StripeFake

from atelier_billing.domain.errors import MalformedEvent
from atelier_billing.domain.facts import (
    CheckoutCompleted,
    DisputeClosed,
    InvoicePaid,
    RefundRecorded,
    SubscriptionChanged,
    Unhandled,
)
from atelier_billing.domain.interpretation import interpret
from atelier_billing.domain.stripe_event import MAX_BODY_BYTES, parse_event

START = 1_767_225_600


def read(fake: StripeFake, kind: str, obj: Mapping[str, object]) -> object:
    return interpret(parse_event(fake.event(kind, obj).body))


@pytest.mark.parametrize("legacy", [False, True], ids=["basil", "legacy"])
def test_an_invoice_reads_the_same_in_both_shapes(legacy: bool) -> None:
    fake = StripeFake(legacy=legacy)
    line = fake.line("price_pro_monthly", 2000, start=START)
    invoice = fake.invoice(
        "in_1",
        subscription="sub_1",
        customer="cus_1",
        account="acct-1",
        lines=[line],
        payment_intent="pi_1",
    )

    fact = read(fake, "invoice.paid", invoice)

    assert isinstance(fact, InvoicePaid)
    assert (fact.who.account_id, fact.who.subscription_id, fact.who.customer_id) == (
        "acct-1",
        "sub_1",
        "cus_1",
    )
    assert fact.lines[0].price_id == "price_pro_monthly"
    assert fact.lines[0].period is not None
    assert fact.lines[0].period.end.timestamp() == START + MONTH
    assert fact.refs.payment_intents == ("pi_1",)
    assert fact.amount_paid_cents == 2000


@pytest.mark.parametrize("legacy", [False, True], ids=["basil", "legacy"])
def test_a_subscription_reads_the_same_in_both_shapes(legacy: bool) -> None:
    fake = StripeFake(legacy=legacy)
    subscription = fake.subscription(
        "sub_1", customer="cus_1", price="price_basic_monthly", account="acct-1", start=START
    )

    fact = read(fake, "customer.subscription.updated", subscription)

    assert isinstance(fact, SubscriptionChanged)
    assert fact.price_id == "price_basic_monthly"
    assert fact.status == "active"
    assert fact.period is not None
    assert fact.period.start.timestamp() == START


def test_a_deleted_subscription_is_canceled_whatever_its_status_says() -> None:
    fake = StripeFake()
    subscription = fake.subscription(
        "sub_1", customer="cus_1", price="p", account=None, start=START
    )

    fact = read(fake, "customer.subscription.deleted", subscription)

    assert isinstance(fact, SubscriptionChanged)
    assert fact.status == "canceled"


def test_a_pack_checkout_names_its_account_and_price() -> None:
    fake = StripeFake()
    session = fake.checkout(
        "cs_1",
        mode="payment",
        account="acct-1",
        customer="cus_1",
        price="price_pack_500",
        payment_intent="pi_1",
        amount_total=1000,
    )

    fact = read(fake, "checkout.session.completed", session)

    assert isinstance(fact, CheckoutCompleted)
    assert (fact.who.account_id, fact.price_id, fact.paid) == ("acct-1", "price_pack_500", True)


def test_refunds_and_disputes_name_their_payment() -> None:
    fake = StripeFake()
    refund = read(
        fake, "refund.created", fake.refund("re_1", charge="ch_1", payment_intent="pi_1", amount=5)
    )
    closed = read(
        fake,
        "charge.dispute.closed",
        fake.dispute("du_1", charge="ch_1", payment_intent="pi_1", amount=5, status="won"),
    )

    assert isinstance(refund, RefundRecorded)
    assert refund.refs.keys() == ("charge:ch_1", "payment_intent:pi_1")
    assert isinstance(closed, DisputeClosed)
    assert closed.money_kept


def test_odd_field_types_read_as_absent_rather_than_failing() -> None:
    fake = StripeFake()
    invoice = {"id": "in_1", "lines": {"data": [{"amount": "lots", "pricing": 7}, 3]}, "parent": []}

    fact = read(fake, "invoice.paid", invoice)

    assert isinstance(fact, InvoicePaid)
    assert fact.who.account_id is None
    assert fact.lines[0].price_id is None


def test_unknown_types_are_unhandled() -> None:
    assert isinstance(read(StripeFake(), "customer.created", {"id": "cus_1"}), Unhandled)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"id": "evt_1", "type": "invoice.paid"}).encode(),
        json.dumps({"id": "x", "type": "invoice.paid", "data": {"object": {}}}).encode(),
        json.dumps({"id": "evt_1", "type": "Bad Type", "data": {"object": {}}}).encode(),
        b"[" * 100_000,
        b"\xff\xfe",
        b" " * (MAX_BODY_BYTES + 1),
    ],
)
def test_what_is_not_a_stripe_event_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedEvent) as refused:
        parse_event(body)

    assert refused.value.metadata["field"] == "body"
