"""From a Stripe event to the fact it states, by one reader per event type."""

from __future__ import annotations

from collections.abc import Callable

from atelier_billing.domain.facts import (
    Attribution,
    ChargeRefunded,
    CheckoutCompleted,
    DisputeClosed,
    DisputeOpened,
    Fact,
    PaymentRefs,
    RefundRecorded,
    SubscriptionChanged,
    Unhandled,
)
from atelier_billing.domain.invoice_reading import (
    period_of,
    read_invoice_paid,
    read_invoice_payment,
    read_invoice_payment_failed,
)
from atelier_billing.domain.stripe_event import StripeEvent
from atelier_billing.domain.stripe_fields import (
    JsonObject,
    as_account_id,
    as_bool,
    as_int,
    as_objects,
    as_stripe_id,
    as_text,
    at,
    first,
    unique,
)

_STATUS_CHARS = 40
# Refunds in these states gave no money back.
_REFUND_VOID = {"failed", "canceled"}


def _refs(obj: JsonObject, *, charge: str | None) -> PaymentRefs:
    return PaymentRefs(
        charges=unique([charge]),
        payment_intents=unique([as_stripe_id(at(obj, "payment_intent"))]),
        invoices=unique([as_stripe_id(at(obj, "invoice"))]),
    )


def _checkout(event: StripeEvent) -> Fact | None:
    session = event.object
    session_id = as_stripe_id(at(session, "id"))
    if session_id is None:
        return None
    account = first(as_account_id, session, ("client_reference_id",), ("metadata", "account_id"))
    subscription = as_stripe_id(at(session, "subscription"))
    return CheckoutCompleted(
        session_id=session_id,
        who=Attribution(account, subscription, as_stripe_id(at(session, "customer"))),
        mode=as_text(at(session, "mode"), longest=_STATUS_CHARS) or "",
        paid=at(session, "payment_status") == "paid",
        # Line items are not part of the event; the Checkout Session carries its price in its
        # metadata, which is set when the session is created.
        price_id=first(
            as_stripe_id,
            session,
            ("line_items", "data", 0, "price"),
            ("metadata", "price_id"),
            ("metadata", "price"),
        ),
        amount_total_cents=max(0, as_int(at(session, "amount_total")) or 0),
        currency=as_text(at(session, "currency"), longest=10) or "",
        refs=PaymentRefs(payment_intents=unique([as_stripe_id(at(session, "payment_intent"))])),
    )


def _subscription(event: StripeEvent) -> Fact | None:
    subscription = event.object
    subscription_id = as_stripe_id(at(subscription, "id"))
    if subscription_id is None:
        return None
    item = ("items", "data", 0)
    status = as_text(at(subscription, "status"), longest=_STATUS_CHARS) or "unknown"
    return SubscriptionChanged(
        subscription_id=subscription_id,
        who=Attribution(
            as_account_id(at(subscription, "metadata", "account_id")),
            subscription_id,
            as_stripe_id(at(subscription, "customer")),
        ),
        status="canceled" if event.type == "customer.subscription.deleted" else status,
        price_id=first(as_stripe_id, subscription, (*item, "price"), (*item, "plan"), ("plan",)),
        period=period_of(
            first(as_int, subscription, (*item, "current_period_start"), ("current_period_start",)),
            first(as_int, subscription, (*item, "current_period_end"), ("current_period_end",)),
        ),
        cancel_at_period_end=bool(as_bool(at(subscription, "cancel_at_period_end"))),
        as_of=event.created,
    )


def refund_of(refund: JsonObject) -> RefundRecorded | None:
    refund_id = as_stripe_id(at(refund, "id"))
    amount = as_int(at(refund, "amount"))
    if refund_id is None or amount is None or amount < 0:
        return None
    return RefundRecorded(
        refund_id=refund_id,
        refs=_refs(refund, charge=as_stripe_id(at(refund, "charge"))),
        amount_cents=amount,
        counts=at(refund, "status") not in _REFUND_VOID,
    )


def _refund(event: StripeEvent) -> Fact | None:
    return refund_of(event.object)


def _charge_refunded(event: StripeEvent) -> Fact | None:
    charge = event.object
    charge_id = as_stripe_id(at(charge, "id"))
    if charge_id is None:
        return None
    refunds = (refund_of(r) for r in as_objects(at(charge, "refunds")))
    return ChargeRefunded(
        charge_id=charge_id,
        refs=_refs(charge, charge=charge_id),
        refunded_cents=max(0, as_int(at(charge, "amount_refunded")) or 0),
        refunds=tuple(r for r in refunds if r is not None),
    )


def _dispute_opened(event: StripeEvent) -> Fact | None:
    dispute_id = as_stripe_id(at(event.object, "id"))
    if dispute_id is None:
        return None
    charge = as_stripe_id(at(event.object, "charge"))
    return DisputeOpened(dispute_id, _refs(event.object, charge=charge))


def _dispute_closed(event: StripeEvent) -> Fact | None:
    dispute_id = as_stripe_id(at(event.object, "id"))
    if dispute_id is None:
        return None
    charge = as_stripe_id(at(event.object, "charge"))
    status = as_text(at(event.object, "status"), longest=_STATUS_CHARS) or ""
    return DisputeClosed(dispute_id, _refs(event.object, charge=charge), status)


_READERS: dict[str, Callable[[StripeEvent], Fact | None]] = {
    "invoice.paid": lambda e: read_invoice_paid(e.object, e.created),
    "invoice.payment_failed": lambda e: read_invoice_payment_failed(e.object),
    "invoice_payment.paid": lambda e: read_invoice_payment(e.object),
    "checkout.session.completed": _checkout,
    "checkout.session.async_payment_succeeded": _checkout,
    "customer.subscription.created": _subscription,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": _subscription,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund,
    "refund.updated": _refund,
    "charge.refund.updated": _refund,
    "charge.dispute.created": _dispute_opened,
    "charge.dispute.closed": _dispute_closed,
}

HANDLED_TYPES = frozenset(_READERS)


def interpret(event: StripeEvent) -> Fact:
    """The event's fact; Unhandled for a type billing does not act on or an unreadable object."""
    reader = _READERS.get(event.type)
    if reader is None:
        return Unhandled(f"billing does not act on {event.type}")
    fact = reader(event)
    return fact if fact is not None else Unhandled(f"{event.type} carries no usable object id")
