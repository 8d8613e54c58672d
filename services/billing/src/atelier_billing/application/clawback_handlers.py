"""Money out: refunds claw back their share of a payment's credits, disputes what stands of it."""

from __future__ import annotations

from dataclasses import replace

from atelier_billing.adapters import order_table, payment_tables
from atelier_billing.adapters.payment_tables import DisputeRow
from atelier_billing.application.processing import Processing
from atelier_billing.domain.dispositions import PROCESSED, Disposition, ignored, parked
from atelier_billing.domain.facts import (
    ChargeRefunded,
    DisputeClosed,
    DisputeOpened,
    PaymentRefs,
    RefundRecorded,
)
from atelier_billing.domain.ledger_orders import GrantOrder, RevokeOrder
from atelier_billing.domain.payments import (
    PaymentRecord,
    after_dispute_opened,
    after_dispute_won,
    after_refund,
)


def _payment_unknown(what: str, refs: PaymentRefs) -> Disposition:
    return parked(f"{what}: the payment it concerns is not known yet", refs.keys())


async def _claw_back(
    p: Processing, payment: PaymentRecord, revocation_id: str, amount: int, reason: str, ref: str
) -> None:
    if amount > 0:
        order = RevokeOrder(payment.account_id, revocation_id, amount, reason, ref)
        await order_table.add(p.conn, order)


async def _apply_refund(
    p: Processing, payment: PaymentRecord, refund: RefundRecorded
) -> PaymentRecord:
    if not refund.counts or await payment_tables.refund_known(p.conn, refund.refund_id):
        return payment
    clawback, after = after_refund(payment, added_refund_cents=refund.amount_cents)
    await payment_tables.record_refund(
        p.conn, refund.refund_id, payment.payment_id, refund.amount_cents, clawback
    )
    await _claw_back(p, payment, f"refund:{refund.refund_id}", clawback, "refund", refund.refund_id)
    await p.messages.refund_issued(
        p.conn,
        payment,
        refund_key=refund.refund_id,
        amount_cents=refund.amount_cents,
        credits=clawback,
        stripe_event_id=p.event.event_id,
    )
    return after


async def on_refund(p: Processing, fact: RefundRecorded) -> Disposition:
    if not fact.counts:
        return ignored(f"refund {fact.refund_id} gave no money back")
    payment = await payment_tables.payment_named_by(p.conn, fact.refs.keys())
    if payment is None:
        return _payment_unknown(f"refund {fact.refund_id}", fact.refs)
    await payment_tables.save_clawbacks(p.conn, await _apply_refund(p, payment, fact))
    return PROCESSED


async def on_charge_refunded(p: Processing, fact: ChargeRefunded) -> Disposition:
    payment = await payment_tables.payment_named_by(p.conn, fact.refs.keys())
    if payment is None:
        return _payment_unknown(f"charge {fact.charge_id}", fact.refs)
    for refund in fact.refunds:
        payment = await _apply_refund(p, payment, refund)
    # Newer API versions leave the refunds out: the charge's running total still counts, and
    # refunds seen by id count toward it, so neither path claws back twice.
    clawback, payment = after_refund(payment, reported_cents=fact.refunded_cents)
    key = f"{fact.charge_id}:{fact.refunded_cents}"
    await _claw_back(p, payment, f"refund:{key}", clawback, "refund", fact.charge_id)
    await payment_tables.save_clawbacks(p.conn, payment)
    return PROCESSED


async def _hold(p: Processing, payment: PaymentRecord, dispute_id: str, outcome: str) -> None:
    held, after = after_dispute_opened(payment)
    await payment_tables.save_dispute(
        p.conn, DisputeRow(dispute_id, payment.payment_id, held, outcome)
    )
    await payment_tables.save_clawbacks(p.conn, after)
    await _claw_back(p, payment, f"dispute:{dispute_id}", held, "dispute", dispute_id)
    await p.messages.dispute_opened(
        p.conn, payment, dispute_id=dispute_id, credits=held, stripe_event_id=p.event.event_id
    )


async def on_dispute_opened(p: Processing, fact: DisputeOpened) -> Disposition:
    if await payment_tables.dispute(p.conn, fact.dispute_id) is not None:
        return PROCESSED  # seen before, or already closed in the merchant's favour
    payment = await payment_tables.payment_named_by(p.conn, fact.refs.keys())
    if payment is None:
        return _payment_unknown(f"dispute {fact.dispute_id}", fact.refs)
    await _hold(p, payment, fact.dispute_id, "open")
    return PROCESSED


async def on_dispute_closed(p: Processing, fact: DisputeClosed) -> Disposition:
    dispute = await payment_tables.dispute(p.conn, fact.dispute_id)
    if dispute is None:
        return await _closed_unseen(p, fact)
    if dispute.outcome != "open":
        return PROCESSED
    if fact.money_kept:
        payment = await payment_tables.payment_by_id(p.conn, dispute.payment_id)
        if payment is None:  # the foreign key rules it out; refuse rather than guess
            raise LookupError(f"dispute {dispute.dispute_id} names a missing payment")
        await payment_tables.save_dispute(p.conn, replace(dispute, outcome="won"))
        await payment_tables.save_clawbacks(p.conn, after_dispute_won(payment, dispute.held))
        if dispute.held > 0:
            await order_table.add(p.conn, _reinstatement(payment, fact.dispute_id))
    elif fact.status == "lost":
        await payment_tables.save_dispute(p.conn, replace(dispute, outcome="lost"))
    return PROCESSED


async def _closed_unseen(p: Processing, fact: DisputeClosed) -> Disposition:
    """Closed before it was seen open: a lost dispute still takes the credits, a won one nothing."""
    payment = await payment_tables.payment_named_by(p.conn, fact.refs.keys())
    if payment is None:
        return _payment_unknown(f"dispute {fact.dispute_id}", fact.refs)
    if fact.status == "lost":
        await _hold(p, payment, fact.dispute_id, "lost")
    elif fact.money_kept:
        won = DisputeRow(fact.dispute_id, payment.payment_id, 0, "won")
        await payment_tables.save_dispute(p.conn, won)
    return PROCESSED


def _reinstatement(payment: PaymentRecord, dispute_id: str) -> GrantOrder:
    # Exactly what the ledger took for the dispute, learned when this grant is delivered.
    return GrantOrder(
        account_id=payment.account_id,
        grant_id=f"dispute-won:{dispute_id}",
        amount=0,
        source="dispute",
        priority=payment.priority,
        expires_at=payment.expires_at,
        reference=dispute_id,
        returns_revocation=f"dispute:{dispute_id}",
    )
