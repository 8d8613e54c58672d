"""Billing's records as atelier.billing.v1 messages."""

from __future__ import annotations

from atelier.billing.v1 import billing_pb2
from atelier_billing.adapters.event_table import StuckEvent
from atelier_billing.domain.payments import PaymentRecord
from atelier_billing.domain.plans import Plan
from atelier_billing.domain.subscriptions import NEVER, SubscriptionRecord
from atelier_runtime.proto_time import to_optional_timestamp, to_timestamp


def plan_terms(plan: Plan) -> billing_pb2.PlanTerms:
    return billing_pb2.PlanTerms(
        plan=plan.name,
        price_id=plan.price_id or "",
        monthly_credits=plan.monthly_credits,
        rollover_cap=plan.rollover_cap,
        grant_priority=plan.grant_priority,
        generation_priority=plan.generation_priority,
        media_retention_days=plan.media_retention_days,
        daily_free_credits=plan.daily_free_credits,
    )


def subscription(record: SubscriptionRecord) -> billing_pb2.Subscription:
    period = record.period
    return billing_pb2.Subscription(
        subscription_id=record.subscription_id,
        customer_id=record.customer_id or "",
        status=record.status,
        price_id=record.price_id or "",
        current_period_start=to_optional_timestamp(period.start if period else None),
        current_period_end=to_optional_timestamp(period.end if period else None),
        cancel_at_period_end=record.cancel_at_period_end,
        past_due=record.past_due,
        updated_at=to_optional_timestamp(record.as_of if record.as_of != NEVER else None),
    )


def payment(record: PaymentRecord) -> billing_pb2.Payment:
    return billing_pb2.Payment(
        payment_id=record.payment_id,
        kind=record.kind,
        price_id=record.price_id,
        product=record.product,
        amount_cents=record.amount_cents,
        currency=record.currency,
        credits=record.credits,
        refunded_cents=record.refunded_cents,
        credits_clawed_back=record.refund_clawback + record.dispute_clawback,
        paid_at=to_timestamp(record.paid_at),
        period_start=to_optional_timestamp(record.period_start),
        period_end=to_optional_timestamp(record.period_end),
    )


def parked_event(event: StuckEvent) -> billing_pb2.ParkedEvent:
    return billing_pb2.ParkedEvent(
        event_id=event.event_id,
        type=event.type,
        object_id=event.object_id,
        state=event.state,
        reason=event.reason,
        waiting_for=list(event.waiting_for),
        received_at=to_timestamp(event.received_at),
        attempts=event.attempts,
    )
