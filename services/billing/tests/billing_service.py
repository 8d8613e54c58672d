"""Runs the real billing service (its composition root) in-process, beside a real credits
service, for integration tests."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
from services.billing.tests.stripe_fake import SECRET, SignedEvent, StripeFake

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_billing.main import build
from atelier_billing.settings import BillingSettings
from atelier_runtime.db import DbPool
from atelier_testing.in_process import serving
from atelier_testing.polling import eventually

if TYPE_CHECKING:
    BillingStub = billing_pb2_grpc.BillingServiceAsyncStub
    CreditsStub = credits_pb2_grpc.CreditsServiceAsyncStub


def fast_settings(
    database_url: str, nats_url: str, prefix: str, credits_addr: str, **overrides: Any
) -> BillingSettings:
    """The service's settings with its workers polling often, for tests that wait on effects."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_prefix": prefix,
        "credits_addr": credits_addr,
        "stripe_webhook_secret": SECRET,
        "grpc_port": 0,
        "shutdown_grace_s": 2.0,
        "shutdown_drain_s": 0.0,
        "billing_worker_poll_s": 0.05,
        "billing_relay_poll_s": 0.05,
        **overrides,
    }
    return BillingSettings(**values)


def serving_billing(settings: BillingSettings) -> AbstractAsyncContextManager[str]:
    """Serves until the block ends; yields the address it listens on."""
    return serving(settings, build)


@dataclass
class Platform:
    """Billing and credits, both real, and a Stripe that signs what it sends."""

    billing: BillingStub
    credits: CreditsStub
    pool: DbPool  # billing's database
    stripe: StripeFake

    async def deliver(self, *events: SignedEvent) -> list[billing_pb2.HandleStripeWebhookResponse]:
        return [
            await self.billing.HandleStripeWebhook(
                billing_pb2.HandleStripeWebhookRequest(body=e.body, headers=e.headers)
            )
            for e in events
        ]

    async def settled(self, within_s: float = 30) -> None:
        """Waits until every event is processed and every ledger order delivered."""

        async def nothing_pending() -> bool:
            waiting = await self.pool.fetchval(
                """
                SELECT (SELECT count(*) FROM stripe_events WHERE state = 'pending')
                     + (SELECT count(*) FROM ledger_orders WHERE state = 'pending')
                """
            )
            return bool(waiting == 0)

        await eventually(nothing_pending, within_s, what="billing settled")

    async def balance(self, account: str) -> credits_pb2.Balance:
        reply = await self.credits.GetBalance(credits_pb2.GetBalanceRequest(account_id=account))
        return reply.balance

    async def statement(self, account: str) -> list[credits_pb2.StatementLine]:
        reply = await self.credits.ListStatement(
            credits_pb2.ListStatementRequest(account_id=account, page_size=500)
        )
        return list(reply.lines)

    async def refusal(self, event: SignedEvent) -> grpc.aio.AioRpcError:
        try:
            await self.deliver(event)
        except grpc.aio.AioRpcError as error:
            return error
        raise AssertionError("the event was accepted")
