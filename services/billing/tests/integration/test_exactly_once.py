"""Each Stripe effect lands once: duplicates, twin events (two event ids for one object) and every
order of a subscription's first four events grant exactly one period's credits."""

from __future__ import annotations

import itertools

from services.billing.tests.billing_service import Platform
from services.billing.tests.stripe_fake import StripeFake
from services.billing.tests.subscription_story import START, first_four, new_customer

from atelier.billing.v1 import billing_pb2
from atelier_testing.ids import random_id


def paid_invoice(stripe: StripeFake, account: str, invoice_id: str) -> dict[str, object]:
    return stripe.invoice(
        invoice_id,
        subscription=stripe.id("sub"),
        customer=stripe.id("cus"),
        account=account,
        lines=[stripe.line("price_pro_monthly", 2000, start=START)],
    )


async def test_a_redelivered_event_grants_once(platform: Platform) -> None:
    account = random_id("acct")
    event = platform.stripe.event("invoice.paid", paid_invoice(platform.stripe, account, "in_1"))

    await platform.deliver(event, event, event)
    await platform.settled()

    assert (await platform.balance(account)).granted == 2000


async def test_twin_events_for_one_object_grant_once(platform: Platform) -> None:
    account = random_id("acct")
    invoice = paid_invoice(platform.stripe, account, "in_twin")
    session = platform.stripe.checkout(
        "cs_twin",
        mode="payment",
        account=account,
        customer="cus_t",
        price="price_pack_500",
        payment_intent="pi_twin",
        amount_total=1000,
    )

    await platform.deliver(
        platform.stripe.event("invoice.paid", invoice),
        platform.stripe.event("invoice.paid", invoice),
        platform.stripe.event("checkout.session.completed", session),
        platform.stripe.event("checkout.session.async_payment_succeeded", session),
    )
    await platform.settled()

    balance = await platform.balance(account)
    assert balance.granted == 2000 + 500
    payments = await platform.billing.ListPayments(
        billing_pb2.ListPaymentsRequest(account_id=account)
    )
    assert sorted((p.payment_id, p.credits) for p in payments.payments) == [
        ("cs_twin", 500),
        ("in_twin", 2000),
    ]


async def test_every_order_of_a_subscriptions_first_four_events_grants_once(
    platform: Platform,
) -> None:
    accounts = []
    for order in itertools.permutations(range(4)):
        who = new_customer(platform.stripe, random_id("acct"))
        events = first_four(platform.stripe, who)
        await platform.deliver(*(events[i] for i in order))
        accounts.append(who.account)
    await platform.settled()

    for account in accounts:
        assert (await platform.balance(account)).granted == 400, account
        state = await platform.billing.GetSubscription(
            billing_pb2.GetSubscriptionRequest(account_id=account)
        )
        assert (state.plan.plan, state.subscription.status) == ("basic", "active")
    parked = await platform.billing.ListParked(billing_pb2.ListParkedRequest())
    assert list(parked.events) == []
