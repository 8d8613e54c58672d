"""What a Stripe event means for billing, read out of its payload whatever the API version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class PaymentRefs:
    """The ids a refund or dispute may name its payment by: charges, payment intents, invoices."""

    charges: tuple[str, ...] = ()
    payment_intents: tuple[str, ...] = ()
    invoices: tuple[str, ...] = ()

    def keys(self) -> tuple[str, ...]:
        return (
            *(f"charge:{c}" for c in self.charges),
            *(f"payment_intent:{p}" for p in self.payment_intents),
            *(f"invoice:{i}" for i in self.invoices),
        )


@dataclass(frozen=True)
class Attribution:
    """What may tell whose payment this is: an account id given outright, or links to one."""

    account_id: str | None = None
    subscription_id: str | None = None
    customer_id: str | None = None

    def keys(self) -> tuple[str, ...]:
        """What an unattributed event waits for: a link from either of these to an account."""
        return tuple(
            key
            for key in (
                f"subscription:{self.subscription_id}" if self.subscription_id else None,
                f"customer:{self.customer_id}" if self.customer_id else None,
            )
            if key
        )


@dataclass(frozen=True)
class InvoiceLine:
    price_id: str | None
    amount_cents: int
    quantity: int
    proration: bool
    period: Period | None


@dataclass(frozen=True)
class InvoicePaid:
    invoice_id: str
    who: Attribution
    lines: tuple[InvoiceLine, ...]
    amount_paid_cents: int
    currency: str
    refs: PaymentRefs
    # Where the invoice says its period lies, for lines that carry none.
    fallback_period: Period


@dataclass(frozen=True)
class InvoicePaymentPaid:
    """A payment of an invoice (2025-03-31 on): the link from its charge to the invoice."""

    invoice_id: str
    refs: PaymentRefs


@dataclass(frozen=True)
class InvoicePaymentFailed:
    invoice_id: str
    who: Attribution
    amount_due_cents: int
    currency: str
    attempt_count: int


@dataclass(frozen=True)
class CheckoutCompleted:
    session_id: str
    who: Attribution
    # "payment" (a pack) or "subscription" (links the account to its subscription).
    mode: str
    paid: bool
    price_id: str | None
    amount_total_cents: int
    currency: str
    refs: PaymentRefs


@dataclass(frozen=True)
class SubscriptionChanged:
    subscription_id: str
    who: Attribution
    status: str
    price_id: str | None
    period: Period | None
    cancel_at_period_end: bool
    # When Stripe created the event: Stripe delivers in no particular order, newer wins.
    as_of: datetime


@dataclass(frozen=True)
class RefundRecorded:
    """One refund (`re_...`): `amount_cents` of the payment went back."""

    refund_id: str
    refs: PaymentRefs
    amount_cents: int
    # False for a failed or canceled refund: no money went back.
    counts: bool


@dataclass(frozen=True)
class ChargeRefunded:
    """A charge's refunds so far; `refunded_cents` is cumulative."""

    charge_id: str
    refs: PaymentRefs
    refunded_cents: int
    refunds: tuple[RefundRecorded, ...]


@dataclass(frozen=True)
class DisputeOpened:
    dispute_id: str
    refs: PaymentRefs


@dataclass(frozen=True)
class DisputeClosed:
    dispute_id: str
    refs: PaymentRefs
    # Stripe's final status: "won", "lost", "warning_closed", "prevented", ...
    status: str

    @property
    def money_kept(self) -> bool:
        """The merchant keeps the money: what the dispute clawed back is due again."""
        return self.status in {"won", "warning_closed", "prevented"}


@dataclass(frozen=True)
class Unhandled:
    """An event billing stores and ignores: a type it does not act on, or one without effect."""

    why: str


Fact = (
    InvoicePaid
    | InvoicePaymentPaid
    | InvoicePaymentFailed
    | CheckoutCompleted
    | SubscriptionChanged
    | RefundRecorded
    | ChargeRefunded
    | DisputeOpened
    | DisputeClosed
    | Unhandled
)
