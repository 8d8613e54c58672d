"""The edge's client of the billing service: one balanced channel, a deadline on every call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier_runtime.grpc_client import balanced_channel

if TYPE_CHECKING:
    BillingStub = billing_pb2_grpc.BillingServiceAsyncStub

# Stripe waits about ten seconds before it counts a delivery as failed; answer well within.
WEBHOOK_DEADLINE_S = 5.0


class BillingClient:
    """Calls billing over every replica in `address` (round robin)."""

    def __init__(self, address: str, timeout_s: float = WEBHOOK_DEADLINE_S) -> None:
        self._channel = balanced_channel(address, variable="ATELIER_BILLING_ADDR")
        self._stub: BillingStub = billing_pb2_grpc.BillingServiceStub(self._channel)  # type: ignore[assignment]
        self._timeout_s = timeout_s

    async def handle_stripe_webhook(
        self, body: bytes, headers: Mapping[str, str]
    ) -> billing_pb2.HandleStripeWebhookResponse:
        """Hands a Stripe delivery to billing as received: billing verifies and stores it."""
        request = billing_pb2.HandleStripeWebhookRequest(body=body, headers=dict(headers))
        return await self._stub.HandleStripeWebhook(request, timeout=WEBHOOK_DEADLINE_S)

    async def grant_daily(self, account_id: str) -> billing_pb2.GrantDailyResponse:
        """Today's free credits, granted once per account and day (a repeat grants nothing)."""
        request = billing_pb2.GrantDailyRequest(account_id=account_id)
        return await self._stub.GrantDaily(request, timeout=self._timeout_s)

    async def subscription(self, account_id: str) -> billing_pb2.GetSubscriptionResponse:
        request = billing_pb2.GetSubscriptionRequest(account_id=account_id)
        return await self._stub.GetSubscription(request, timeout=self._timeout_s)

    async def close(self) -> None:
        await self._channel.close()
