"""What cannot be applied yet is parked with its reason, visible in ListParked, and applied as
soon as what it waits for arrives."""

from __future__ import annotations

from services.billing.tests.billing_service import Platform
from services.billing.tests.subscription_story import START

from atelier.billing.v1 import billing_pb2
from atelier_testing.ids import random_id


async def parked(platform: Platform) -> list[billing_pb2.ParkedEvent]:
    return list((await platform.billing.ListParked(billing_pb2.ListParkedRequest())).events)


async def test_an_invoice_nobody_can_be_named_for_waits_for_its_subscription(
    platform: Platform,
) -> None:
    stripe, account = platform.stripe, random_id("acct")
    invoice = stripe.invoice(
        "in_p",
        subscription="sub_p",
        customer="cus_p",
        account=None,
        lines=[stripe.line("price_standard_monthly", 1900, start=START)],
    )
    paid = stripe.event("invoice.paid", invoice)

    await platform.deliver(paid)
    await platform.settled()

    [waiting] = await parked(platform)
    assert (waiting.event_id, waiting.state) == (paid.event_id, "parked")
    assert list(waiting.waiting_for) == ["subscription:sub_p", "customer:cus_p"]
    assert "no account is known" in waiting.reason

    subscription = stripe.subscription(
        "sub_p", customer="cus_p", price="price_standard_monthly", account=account, start=START
    )
    await platform.deliver(stripe.event("customer.subscription.created", subscription))
    await platform.settled()

    assert await parked(platform) == []
    assert (await platform.balance(account)).granted == 1000


async def test_a_refund_before_its_payment_is_applied_once_the_payment_is(
    platform: Platform,
) -> None:
    stripe, account = platform.stripe, random_id("acct")
    refund = stripe.refund("re_early", charge="ch_e", payment_intent="pi_e", amount=500)
    pack = stripe.checkout(
        "cs_e",
        mode="payment",
        account=account,
        customer="cus_e",
        price="price_pack_500",
        payment_intent="pi_e",
        amount_total=1000,
    )

    await platform.deliver(stripe.event("refund.created", refund))
    await platform.settled()
    [waiting] = await parked(platform)
    assert list(waiting.waiting_for) == ["charge:ch_e", "payment_intent:pi_e"]

    await platform.deliver(stripe.event("checkout.session.completed", pack))
    await platform.settled()

    assert await parked(platform) == []
    balance = await platform.balance(account)
    assert (balance.granted, balance.revoked) == (500, 250)


async def test_list_parked_pages_through_every_waiting_event(platform: Platform) -> None:
    stripe = platform.stripe
    events = [
        stripe.event(
            "refund.created",
            stripe.refund(f"re_{n}", charge=f"ch_{n}", payment_intent=f"pi_{n}", amount=1),
        )
        for n in range(5)
    ]
    await platform.deliver(*events)
    await platform.settled()

    seen: list[str] = []
    token = ""
    while True:
        page = await platform.billing.ListParked(
            billing_pb2.ListParkedRequest(page_size=2, page_token=token)
        )
        seen.extend(e.event_id for e in page.events)
        if not (token := page.next_page_token):
            break

    assert seen == [e.event_id for e in events]


async def test_a_refund_finds_a_2025_invoice_through_its_invoice_payment(
    platform: Platform,
) -> None:
    stripe, account = platform.stripe, random_id("acct")
    # Invoices of the 2025-03-31 API leave out how they were paid.
    invoice = stripe.invoice(
        "in_b",
        subscription="sub_b",
        customer="cus_b",
        account=account,
        lines=[stripe.line("price_basic_monthly", 900, start=START)],
    )
    payment = {
        "id": "inpay_b",
        "object": "invoice_payment",
        "invoice": "in_b",
        "status": "paid",
        "payment": {"type": "payment_intent", "payment_intent": "pi_b"},
    }
    refund = stripe.refund("re_b", charge="ch_b", payment_intent="pi_b", amount=450)

    await platform.deliver(
        stripe.event("refund.created", refund),
        stripe.event("invoice_payment.paid", payment),
        stripe.event("invoice.paid", invoice),
    )
    await platform.settled()

    assert await parked(platform) == []
    balance = await platform.balance(account)
    assert (balance.granted, balance.revoked) == (400, 200)
