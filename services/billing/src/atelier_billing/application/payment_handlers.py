"""Money in: a paid invoice grants its plan's credits, a paid Checkout Session its pack."""

from __future__ import annotations

from atelier.events.v1 import billing_pb2
from atelier_billing.adapters import event_table, order_table, payment_tables, subscription_table
from atelier_billing.application.processing import (
    Processing,
    account_of,
    remember,
    unattributed,
)
from atelier_billing.domain.dispositions import PROCESSED, Disposition, ignored, parked
from atelier_billing.domain.facts import (
    CheckoutCompleted,
    InvoicePaid,
    InvoicePaymentFailed,
    InvoicePaymentPaid,
)
from atelier_billing.domain.invoice_credits import invoice_credits
from atelier_billing.domain.ledger_orders import GrantOrder, LedgerOrder
from atelier_billing.domain.payments import PaymentRecord
from atelier_billing.domain.subscriptions import SubscriptionRecord, what_others_see, with_past_due


async def _record_payment(
    p: Processing, payment: PaymentRecord, refs: tuple[str, ...], orders: tuple[LedgerOrder, ...]
) -> None:
    """The payment, its grants and its event, once: a twin or redelivered event adds nothing."""
    if not await payment_tables.insert_payment(p.conn, payment, refs):
        return
    for order in orders:
        await order_table.add(p.conn, order)
    await p.messages.payment_succeeded(p.conn, payment, stripe_event_id=p.event.event_id)
    # Refunds and disputes that arrived first were parked waiting for these refs.
    await event_table.wake_waiting(p.conn, refs)


async def _set_past_due(
    p: Processing, subscription_id: str | None, account_id: str, flag: bool
) -> None:
    if subscription_id is None:
        return
    before = await subscription_table.load(p.conn, subscription_id)
    if before is None and not flag:
        return
    # A failed payment may come before any subscription event: start a record it can mark.
    current = before or SubscriptionRecord(subscription_id, account_id)
    after = with_past_due(current, flag, p.event.created)
    if after == before:
        return
    await subscription_table.save(p.conn, after)
    if before is None or what_others_see(before, p.plans) != what_others_see(after, p.plans):
        await p.messages.plan_changed(p.conn, after, stripe_event_id=p.event.event_id)


async def on_invoice_paid(p: Processing, fact: InvoicePaid) -> Disposition:
    account = await account_of(p, fact.who)
    if account is None:
        return unattributed(f"invoice {fact.invoice_id}", fact.who)
    await remember(p, account, fact.who)
    await _set_past_due(p, fact.who.subscription_id, account, False)
    credits = invoice_credits(fact, account, p.plans, p.grace)
    if credits is None:
        unknown = [
            line.price_id
            for line in fact.lines
            if line.amount_cents > 0
            and p.plans.plan_for_price(line.price_id) is None
            and p.plans.pack_for_price(line.price_id) is None
        ]
        if unknown:
            return parked(f"invoice {fact.invoice_id}: price {unknown[0]} is in no plan", ())
        # A pack's invoice (packs are granted from their Checkout Session) or a free trial.
        return ignored(f"no line of invoice {fact.invoice_id} buys a plan")
    payment = PaymentRecord(
        payment_id=fact.invoice_id,
        account_id=account,
        kind="subscription",
        price_id=credits.price_id,
        product=credits.plan.name,
        amount_cents=fact.amount_paid_cents,
        currency=fact.currency,
        credits=credits.credits,
        priority=credits.plan.grant_priority,
        expires_at=credits.expires_at,
        paid_at=p.event.created,
        period_start=credits.period.start,
        period_end=credits.period.end,
    )
    await _record_payment(p, payment, fact.refs.keys(), credits.orders)
    return PROCESSED


async def on_checkout_completed(p: Processing, fact: CheckoutCompleted) -> Disposition:
    if fact.mode == "subscription":
        # The subscription's invoice grants; the session only says whose subscription it is.
        if fact.who.account_id is None:
            return ignored(f"subscription checkout {fact.session_id} names no account")
        await remember(p, fact.who.account_id, fact.who)
        return PROCESSED
    pack = p.plans.pack_for_price(fact.price_id)
    if fact.mode != "payment" or p.plans.plan_for_price(fact.price_id) is not None:
        return ignored(f"checkout {fact.session_id} buys no pack")
    if pack is None:
        named = f"price {fact.price_id} is in no pack" if fact.price_id else "names no price"
        return parked(f"checkout {fact.session_id}: {named}", ())
    if not fact.paid:
        # A delayed payment method: checkout.session.async_payment_succeeded grants later.
        return ignored(f"checkout {fact.session_id} is not paid yet")
    account = await account_of(p, fact.who)
    if account is None:
        return unattributed(f"checkout {fact.session_id}", fact.who)
    await remember(p, account, fact.who)
    grant = GrantOrder(
        account_id=account,
        grant_id=f"pack:{fact.session_id}",
        amount=pack.credits,
        source="pack",
        priority=pack.grant_priority,
        expires_at=None,
        reference=fact.session_id,
    )
    payment = PaymentRecord(
        payment_id=fact.session_id,
        account_id=account,
        kind="pack",
        price_id=pack.price_id,
        product=pack.name,
        amount_cents=fact.amount_total_cents,
        currency=fact.currency,
        credits=pack.credits,
        priority=pack.grant_priority,
        expires_at=None,
        paid_at=p.event.created,
    )
    refs = (*fact.refs.keys(), f"checkout:{fact.session_id}")
    await _record_payment(p, payment, refs, (grant,))
    return PROCESSED


async def on_invoice_payment_failed(p: Processing, fact: InvoicePaymentFailed) -> Disposition:
    account = await account_of(p, fact.who)
    if account is None:
        return unattributed(f"invoice {fact.invoice_id}", fact.who)
    await remember(p, account, fact.who)
    recorded = await payment_tables.record_failed_payment(
        p.conn,
        invoice_id=fact.invoice_id,
        attempt_count=fact.attempt_count,
        account_id=account,
        subscription_id=fact.who.subscription_id,
        amount_due_cents=fact.amount_due_cents,
        currency=fact.currency,
    )
    await _set_past_due(p, fact.who.subscription_id, account, True)
    if recorded:
        failure = billing_pb2.PaymentFailed(
            account_id=account,
            invoice_id=fact.invoice_id,
            subscription_id=fact.who.subscription_id or "",
            amount_due_cents=fact.amount_due_cents,
            currency=fact.currency,
            attempt_count=fact.attempt_count,
        )
        await p.messages.payment_failed(p.conn, failure, stripe_event_id=p.event.event_id)
    return PROCESSED


async def on_invoice_payment_paid(p: Processing, fact: InvoicePaymentPaid) -> Disposition:
    """Links the payment's charge and intent to the invoice, for its refunds and disputes."""
    invoice_key = f"invoice:{fact.invoice_id}"
    payment = await payment_tables.payment_named_by(p.conn, (invoice_key,))
    if payment is None:
        if await event_table.ignored_object(p.conn, fact.invoice_id, "invoice.paid"):
            return ignored(f"invoice {fact.invoice_id} granted nothing")
        return parked(f"invoice {fact.invoice_id} is not recorded yet", (invoice_key,))
    await payment_tables.add_refs(p.conn, payment.payment_id, fact.refs.keys())
    await event_table.wake_waiting(p.conn, fact.refs.keys())
    return PROCESSED
