"""The events of one account's subscription life, built in the order Stripe would create them."""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.billing.tests.stripe_fake import DAY, SignedEvent, StripeFake

# The first period starts at today's midnight (UTC), so its credits are live while tests run.
START = int(time.time()) // DAY * DAY


@dataclass(frozen=True)
class Customer:
    account: str
    customer: str
    subscription: str


def new_customer(stripe: StripeFake, account: str) -> Customer:
    return Customer(account, stripe.id("cus"), stripe.id("sub"))


def first_four(
    stripe: StripeFake, who: Customer, price: str = "price_basic_monthly", cents: int = 900
) -> list[SignedEvent]:
    """Checkout, subscription created (incomplete) and updated (active), first invoice paid.

    Only the Checkout Session names the account (client_reference_id): the others must wait for
    it when they come first.
    """
    checkout = stripe.checkout(
        stripe.id("cs"),
        mode="subscription",
        account=who.account,
        customer=who.customer,
        subscription=who.subscription,
    )
    created = stripe.subscription(
        who.subscription,
        customer=who.customer,
        price=price,
        account=None,
        status="incomplete",
        start=START,
    )
    updated = {**created, "status": "active"}
    invoice = stripe.invoice(
        stripe.id("in"),
        subscription=who.subscription,
        customer=who.customer,
        account=None,
        lines=[stripe.line(price, cents, start=START)],
        payment_intent=stripe.id("pi"),
        billing_reason="subscription_create",
    )
    return [
        stripe.event("checkout.session.completed", checkout),
        stripe.event("customer.subscription.created", created),
        stripe.event("customer.subscription.updated", updated),
        stripe.event("invoice.paid", invoice),
    ]
