"""Invoices, read from their 2025-03-31 locations first and from the older ones after."""

from __future__ import annotations

from datetime import datetime, timedelta

from atelier_billing.domain.facts import (
    Attribution,
    InvoiceLine,
    InvoicePaid,
    InvoicePaymentFailed,
    InvoicePaymentPaid,
    PaymentRefs,
    Period,
)
from atelier_billing.domain.stripe_fields import (
    JsonObject,
    as_account_id,
    as_bool,
    as_instant,
    as_int,
    as_objects,
    as_stripe_id,
    as_text,
    at,
    first,
    unique,
)

# An invoice that names no period at all still grants, for about a month from the event.
_DEFAULT_PERIOD = timedelta(days=31)
# Keeps credits x quantity within what one ledger grant may hold.
_MAX_QUANTITY = 1_000


def invoice_attribution(invoice: JsonObject) -> Attribution:
    lines = as_objects(at(invoice, "lines"))
    subscription = first(
        as_stripe_id,
        invoice,
        ("parent", "subscription_details", "subscription"),
        ("subscription",),
        *(
            ("lines", "data", i, "parent", "subscription_item_details", "subscription")
            for i in range(len(lines))
        ),
        *(("lines", "data", i, "subscription") for i in range(len(lines))),
    )
    account = first(
        as_account_id,
        invoice,
        ("parent", "subscription_details", "metadata", "account_id"),
        ("subscription_details", "metadata", "account_id"),
        *(("lines", "data", i, "metadata", "account_id") for i in range(len(lines))),
        ("metadata", "account_id"),
    )
    return Attribution(account, subscription, as_stripe_id(at(invoice, "customer")))


def invoice_line(line: JsonObject) -> InvoiceLine:
    price = first(
        as_stripe_id,
        line,
        ("pricing", "price_details", "price"),
        ("price",),
        ("plan",),
    )
    proration = first(
        as_bool, line, ("parent", "subscription_item_details", "proration"), ("proration",)
    )
    quantity = as_int(at(line, "quantity"))
    return InvoiceLine(
        price_id=price,
        amount_cents=as_int(at(line, "amount")) or 0,
        quantity=quantity if quantity is not None and 0 < quantity <= _MAX_QUANTITY else 1,
        proration=bool(proration),
        period=period_of(at(line, "period", "start"), at(line, "period", "end")),
    )


def period_of(start: object, end: object) -> Period | None:
    began, ends = as_instant(start), as_instant(end)
    return Period(began, ends) if began is not None and ends is not None and began < ends else None


def invoice_refs(invoice: JsonObject, invoice_id: str) -> PaymentRefs:
    """Basil invoices name their payments under `payments`; older ones name charge and intent."""
    payments = as_objects(at(invoice, "payments"))
    return PaymentRefs(
        charges=unique(
            [as_stripe_id(at(invoice, "charge"))]
            + [as_stripe_id(at(p, "payment", "charge")) for p in payments]
        ),
        payment_intents=unique(
            [as_stripe_id(at(invoice, "payment_intent"))]
            + [as_stripe_id(at(p, "payment", "payment_intent")) for p in payments]
        ),
        invoices=(invoice_id,),
    )


def read_invoice_paid(invoice: JsonObject, created: datetime) -> InvoicePaid | None:
    invoice_id = as_stripe_id(at(invoice, "id"))
    if invoice_id is None:
        return None
    fallback = period_of(at(invoice, "period_start"), at(invoice, "period_end"))
    return InvoicePaid(
        invoice_id=invoice_id,
        who=invoice_attribution(invoice),
        lines=tuple(invoice_line(line) for line in as_objects(at(invoice, "lines"))),
        amount_paid_cents=max(0, as_int(at(invoice, "amount_paid")) or 0),
        currency=as_text(at(invoice, "currency"), longest=10) or "",
        refs=invoice_refs(invoice, invoice_id),
        fallback_period=fallback or Period(created, created + _DEFAULT_PERIOD),
    )


def read_invoice_payment(payment: JsonObject) -> InvoicePaymentPaid | None:
    """Basil invoices leave out how they were paid; this event names the charge or intent."""
    invoice_id = as_stripe_id(at(payment, "invoice"))
    if invoice_id is None:
        return None
    return InvoicePaymentPaid(
        invoice_id=invoice_id,
        refs=PaymentRefs(
            charges=unique([as_stripe_id(at(payment, "payment", "charge"))]),
            payment_intents=unique([as_stripe_id(at(payment, "payment", "payment_intent"))]),
            invoices=(invoice_id,),
        ),
    )


def read_invoice_payment_failed(invoice: JsonObject) -> InvoicePaymentFailed | None:
    invoice_id = as_stripe_id(at(invoice, "id"))
    if invoice_id is None:
        return None
    return InvoicePaymentFailed(
        invoice_id=invoice_id,
        who=invoice_attribution(invoice),
        amount_due_cents=max(0, as_int(at(invoice, "amount_due")) or 0),
        currency=as_text(at(invoice, "currency"), longest=10) or "",
        attempt_count=max(0, as_int(at(invoice, "attempt_count")) or 0),
    )
