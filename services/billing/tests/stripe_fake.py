"""Stripe as the tests see it: events shaped like the API's (2025-03-31 by default, the older
shape on request), built through the official `stripe` package and signed with it."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import stripe

SECRET = "whsec_test_current"
DAY = 86_400
MONTH = 30 * DAY
Json = dict[str, Any]


def signature_header(body: str, secrets: Sequence[str], timestamp: int | None = None) -> str:
    """`t=<ts>,v1=<one per secret>`, each made by stripe's own signing code."""
    stamp = int(time.time()) if timestamp is None else timestamp
    parts = [
        stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=stamp)
        for secret in secrets
    ]
    signatures = [part.split(",", 1)[1] for part in parts]
    return ",".join([f"t={stamp}", *signatures])


@dataclass(frozen=True)
class SignedEvent:
    event_id: str
    body: bytes
    headers: dict[str, str]


@dataclass
class StripeFake:
    """Numbers events and objects; every event it makes is signed with `secrets`."""

    secrets: Sequence[str] = (SECRET,)
    legacy: bool = False
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Events' `created`, one second apart in the order they are made.
    clock: int = field(default_factory=lambda: int(time.time()) - 3_600)

    def id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    def event(
        self,
        kind: str,
        obj: Mapping[str, Any],
        *,
        event_id: str | None = None,
        created: int | None = None,
    ) -> SignedEvent:
        self.clock += 1
        event_id = event_id or self.id("evt")
        values: Json = {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20" if self.legacy else "2025-03-31.basil",
            "created": self.clock if created is None else created,
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": dict(obj)},
        }
        body = json.dumps(stripe.Event.construct_from(values, "sk_test_fake").to_dict())
        return self.signed(event_id, body)

    def signed(self, event_id: str, body: str, *, timestamp: int | None = None) -> SignedEvent:
        header = signature_header(body, self.secrets, timestamp)
        return SignedEvent(event_id, body.encode(), {"Stripe-Signature": header})

    # Objects, as the API shapes them.

    def subscription(
        self,
        sub_id: str,
        *,
        customer: str,
        price: str,
        account: str | None,
        status: str = "active",
        start: int,
        cancel_at_period_end: bool = False,
    ) -> Json:
        item: Json = {"id": self.id("si"), "object": "subscription_item", "price": {"id": price}}
        period = {"current_period_start": start, "current_period_end": start + MONTH}
        subscription: Json = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "cancel_at_period_end": cancel_at_period_end,
            "metadata": {"account_id": account} if account else {},
            "items": {"object": "list", "data": [item]},
        }
        if self.legacy:
            subscription.update(period, plan={"id": price})
        else:
            item.update(period)
        return subscription

    def invoice(
        self,
        invoice_id: str,
        *,
        subscription: str,
        customer: str,
        account: str | None,
        lines: Sequence[Json],
        payment_intent: str | None = None,
        billing_reason: str = "subscription_cycle",
    ) -> Json:
        amount = sum(line["amount"] for line in lines)
        metadata = {"account_id": account} if account else {}
        invoice: Json = {
            "id": invoice_id,
            "object": "invoice",
            "customer": customer,
            "status": "paid",
            "billing_reason": billing_reason,
            "currency": "usd",
            "amount_due": amount,
            "amount_paid": amount,
            "amount_remaining": 0,
            "attempt_count": 1,
            "lines": {"object": "list", "has_more": False, "data": list(lines)},
        }
        if self.legacy:
            invoice.update(
                subscription=subscription,
                subscription_details={"metadata": metadata},
                payment_intent=payment_intent,
            )
        else:
            invoice["parent"] = {
                "type": "subscription_details",
                "subscription_details": {"subscription": subscription, "metadata": metadata},
            }
            if payment_intent:
                payment = {"type": "payment_intent", "payment_intent": payment_intent}
                invoice["payments"] = {
                    "object": "list",
                    "data": [{"object": "invoice_payment", "payment": payment}],
                }
        return invoice

    def line(
        self,
        price: str,
        amount: int,
        *,
        start: int,
        end: int | None = None,
        proration: bool = False,
    ) -> Json:
        line: Json = {
            "id": self.id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": "usd",
            "quantity": 1,
            "period": {"start": start, "end": start + MONTH if end is None else end},
        }
        if self.legacy:
            line.update(price={"id": price}, proration=proration)
        else:
            line["pricing"] = {"type": "price_details", "price_details": {"price": price}}
            line["parent"] = {
                "type": "subscription_item_details",
                "subscription_item_details": {"proration": proration},
            }
        return line

    def checkout(
        self,
        session_id: str,
        *,
        mode: str,
        account: str | None,
        customer: str,
        price: str | None = None,
        subscription: str | None = None,
        payment_intent: str | None = None,
        amount_total: int = 0,
        payment_status: str = "paid",
    ) -> Json:
        return {
            "id": session_id,
            "object": "checkout.session",
            "mode": mode,
            "status": "complete",
            "payment_status": payment_status,
            "client_reference_id": account,
            "customer": customer,
            "subscription": subscription,
            "payment_intent": payment_intent,
            "amount_total": amount_total,
            "currency": "usd",
            "metadata": {"price_id": price} if price else {},
        }

    def charge(self, charge_id: str, *, payment_intent: str, amount: int, refunded: int) -> Json:
        return {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_refunded": refunded,
            "refunded": refunded == amount,
            "payment_intent": payment_intent,
        }

    def refund(self, refund_id: str, *, charge: str, payment_intent: str, amount: int) -> Json:
        return {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": charge,
            "payment_intent": payment_intent,
            "status": "succeeded",
        }

    def dispute(
        self, dispute_id: str, *, charge: str, payment_intent: str, amount: int, status: str
    ) -> Json:
        return {
            "id": dispute_id,
            "object": "dispute",
            "amount": amount,
            "charge": charge,
            "payment_intent": payment_intent,
            "status": status,
        }
