"""Applies one stored Stripe event inside the caller's transaction: interpret, lock, dispatch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from atelier_billing.adapters.billing_messages import BillingMessages
from atelier_billing.adapters.key_locks import lock_keys
from atelier_billing.application.clawback_handlers import (
    on_charge_refunded,
    on_dispute_closed,
    on_dispute_opened,
    on_refund,
)
from atelier_billing.application.payment_handlers import (
    on_checkout_completed,
    on_invoice_paid,
    on_invoice_payment_failed,
    on_invoice_payment_paid,
)
from atelier_billing.application.processing import Processing
from atelier_billing.application.subscription_handlers import on_subscription_changed
from atelier_billing.domain.dispositions import Disposition, ignored
from atelier_billing.domain.facts import (
    ChargeRefunded,
    CheckoutCompleted,
    DisputeClosed,
    DisputeOpened,
    Fact,
    InvoicePaid,
    InvoicePaymentFailed,
    InvoicePaymentPaid,
    RefundRecorded,
    SubscriptionChanged,
    Unhandled,
)
from atelier_billing.domain.interpretation import interpret
from atelier_billing.domain.plans import PlanBook
from atelier_billing.domain.stripe_event import parse_event
from atelier_runtime.db import DbConnection

Handler = Callable[[Processing, Any], Awaitable[Disposition]]

_HANDLERS: dict[type[Fact], Handler] = {
    InvoicePaid: on_invoice_paid,
    InvoicePaymentFailed: on_invoice_payment_failed,
    InvoicePaymentPaid: on_invoice_payment_paid,
    CheckoutCompleted: on_checkout_completed,
    SubscriptionChanged: on_subscription_changed,
    RefundRecorded: on_refund,
    ChargeRefunded: on_charge_refunded,
    DisputeOpened: on_dispute_opened,
    DisputeClosed: on_dispute_closed,
}


def keys_of(fact: Fact) -> set[str]:
    """The subscriptions, customers and payments the fact reads or establishes."""
    keys: set[str] = set()
    who = getattr(fact, "who", None)
    if who is not None:
        keys.update(who.keys())
    refs = getattr(fact, "refs", None)
    if refs is not None:
        keys.update(refs.keys())
    return keys


class EventProcessor:
    def __init__(self, plans: PlanBook, grace: timedelta, messages: BillingMessages) -> None:
        self._plans = plans
        self._grace = grace
        self._messages = messages

    async def process(self, conn: DbConnection, body: bytes) -> Disposition:
        event = parse_event(body)
        fact = interpret(event)
        if isinstance(fact, Unhandled):
            return ignored(fact.why)
        await lock_keys(conn, keys_of(fact))
        processing = Processing(conn, event, self._plans, self._grace, self._messages)
        return await _HANDLERS[type(fact)](processing, fact)
