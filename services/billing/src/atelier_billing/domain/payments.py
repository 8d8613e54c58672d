"""A payment billing granted credits for, and how refunds and disputes claw them back.

A refund claws back the refunded share of the payment's credits; partial refunds add up, and
the share is computed on the running total (never past the payment), so rounding never drifts.
A dispute claws back whatever of the payment is still standing; a dispute the merchant wins gives
back exactly what the ledger took for it. Credits itself clamps every clawback to what the
account has not spent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class PaymentRecord:
    payment_id: str
    account_id: str
    # "subscription" (an invoice) or "pack" (a Checkout Session).
    kind: str
    price_id: str
    product: str
    amount_cents: int
    currency: str
    credits: int
    priority: int
    # The expiry of the payment's main grant; None for credits that never expire.
    expires_at: datetime | None
    paid_at: datetime
    period_start: datetime | None = None
    period_end: datetime | None = None
    # Refunded so far: the sum of known refunds, and the highest running total a charge reported.
    refunded_by_refunds_cents: int = 0
    refunded_reported_cents: int = 0
    # Credits billing asked to claw back: for refunds, and for disputes not (yet) won.
    refund_clawback: int = 0
    dispute_clawback: int = 0

    @property
    def refunded_cents(self) -> int:
        return min(
            self.amount_cents, max(self.refunded_by_refunds_cents, self.refunded_reported_cents)
        )

    @property
    def standing(self) -> int:
        """Credits of this payment not clawed back."""
        return max(0, self.credits - self.refund_clawback - self.dispute_clawback)


def after_refund(
    payment: PaymentRecord, *, added_refund_cents: int = 0, reported_cents: int = 0
) -> tuple[int, PaymentRecord]:
    """Credits to claw back for a refund, and the payment afterwards.

    `added_refund_cents` is a refund not counted before; `reported_cents` a charge's running
    total of refunds. Either way the clawback grows to the refunded share and no further.
    """
    updated = replace(
        payment,
        refunded_by_refunds_cents=payment.refunded_by_refunds_cents + added_refund_cents,
        refunded_reported_cents=max(payment.refunded_reported_cents, reported_cents),
    )
    if payment.amount_cents <= 0:
        return 0, updated
    share = payment.credits * updated.refunded_cents // payment.amount_cents
    clawback = max(0, min(share - payment.refund_clawback, payment.standing))
    return clawback, replace(updated, refund_clawback=payment.refund_clawback + clawback)


def after_dispute_opened(payment: PaymentRecord) -> tuple[int, PaymentRecord]:
    """The dispute holds back everything still standing."""
    held = payment.standing
    return held, replace(payment, dispute_clawback=payment.dispute_clawback + held)


def after_dispute_won(payment: PaymentRecord, held: int) -> PaymentRecord:
    """What the dispute held stands again."""
    return replace(payment, dispute_clawback=max(0, payment.dispute_clawback - held))
