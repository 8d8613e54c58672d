"""Billing's facts as `atelier.billing.*` events, written to the outbox in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import Message

from atelier.events.v1 import billing_pb2, envelope_pb2
from atelier_billing.domain.payments import PaymentRecord
from atelier_billing.domain.plans import PlanBook
from atelier_billing.domain.subscriptions import SubscriptionRecord, plan_of
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbConnection
from atelier_runtime.outbox import add_to_outbox
from atelier_runtime.proto_time import to_optional_timestamp, to_timestamp

PRODUCER = "billing"


class BillingMessages:
    """Builds each event's envelope and adds it to the outbox; the relay publishes it."""

    def __init__(self, names: BusNames, plans: PlanBook) -> None:
        self._names = names
        self._plans = plans

    async def plan_changed(
        self, conn: DbConnection, record: SubscriptionRecord, *, stripe_event_id: str
    ) -> None:
        period = record.period
        payload = billing_pb2.PlanChanged(
            account_id=record.account_id,
            plan=plan_of(record, self._plans).name,
            subscription_id=record.subscription_id,
            status=record.status,
            price_id=record.price_id or "",
            current_period_start=to_optional_timestamp(period.start if period else None),
            current_period_end=to_optional_timestamp(period.end if period else None),
            cancel_at_period_end=record.cancel_at_period_end,
            past_due=record.past_due,
            stripe_event_id=stripe_event_id,
        )
        await self._add(conn, "plan_changed", stripe_event_id, payload, stripe_event_id)

    async def payment_succeeded(
        self, conn: DbConnection, payment: PaymentRecord, *, stripe_event_id: str
    ) -> None:
        payload = billing_pb2.PaymentSucceeded(
            account_id=payment.account_id,
            stripe_object_id=payment.payment_id,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            credits=payment.credits,
            price_id=payment.price_id,
        )
        await self._add(conn, "payment_succeeded", payment.payment_id, payload, stripe_event_id)

    async def payment_failed(
        self, conn: DbConnection, payload: billing_pb2.PaymentFailed, *, stripe_event_id: str
    ) -> None:
        key = f"{payload.invoice_id}:{payload.attempt_count}"
        await self._add(conn, "payment_failed", key, payload, stripe_event_id)

    async def refund_issued(
        self,
        conn: DbConnection,
        payment: PaymentRecord,
        *,
        refund_key: str,
        amount_cents: int,
        credits: int,
        stripe_event_id: str,
    ) -> None:
        payload = billing_pb2.RefundIssued(
            account_id=payment.account_id,
            stripe_object_id=refund_key,
            payment_object_id=payment.payment_id,
            amount_cents=amount_cents,
            currency=payment.currency,
            credits=credits,
        )
        await self._add(conn, "refund_issued", refund_key, payload, stripe_event_id)

    async def dispute_opened(
        self,
        conn: DbConnection,
        payment: PaymentRecord,
        *,
        dispute_id: str,
        credits: int,
        stripe_event_id: str,
    ) -> None:
        payload = billing_pb2.DisputeOpened(
            account_id=payment.account_id,
            stripe_object_id=dispute_id,
            payment_object_id=payment.payment_id,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            credits=credits,
        )
        await self._add(conn, "dispute_opened", dispute_id, payload, stripe_event_id)

    async def _add(
        self, conn: DbConnection, name: str, key: str, payload: Message, causation_id: str
    ) -> None:
        # The id derives from the Stripe object, so a twin event adds nothing a second time.
        envelope = envelope_pb2.Envelope(
            event_id=f"billing:{name}:{key}",
            type=payload.DESCRIPTOR.full_name,
            occurred_at=to_timestamp(datetime.now(UTC)),
            subject_id=getattr(payload, "account_id", ""),
            causation_id=causation_id,
            producer=PRODUCER,
        )
        envelope.payload.Pack(payload)
        await add_to_outbox(
            conn,
            event_id=envelope.event_id,
            subject=self._names.subject("billing", name),
            payload=envelope.SerializeToString(),
        )
