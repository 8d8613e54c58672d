"""Replay reprocesses every stored event without doubling anything, behind the service credential;
ledger orders survive billing dying before or after credits applied them."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import grpc
import pytest
from services.billing.tests.billing_service import Platform, fast_settings, serving_billing
from services.billing.tests.stripe_fake import StripeFake
from services.billing.tests.subscription_story import START, first_four, new_customer

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_billing.adapters import order_table
from atelier_billing.adapters.credits_ledger import CreditsLedger
from atelier_billing.adapters.schema import MIGRATIONS
from atelier_billing.application.order_delivery import OrderDelivery
from atelier_billing.application.ports import Revoked
from atelier_billing.domain.ledger_orders import GrantOrder, RevokeOrder
from atelier_runtime.db import DbPool, apply_migrations
from atelier_runtime.grpc_client import channel
from atelier_runtime.service_auth import bearer_metadata, sign_service_token
from atelier_testing.ids import random_id

JWT = secrets.token_hex(16)


@pytest.fixture
async def guarded(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, db_pool: DbPool
) -> AsyncIterator[tuple[Platform, billing_pb2_grpc.BillingAdminServiceAsyncStub]]:
    settings = fast_settings(database_url, nats_url, bus_prefix, credits_address, jwt_secret=JWT)
    async with AsyncExitStack() as stack:
        address = await stack.enter_async_context(serving_billing(settings))
        billing = await stack.enter_async_context(channel(address))
        credits = await stack.enter_async_context(channel(credits_address))
        platform = Platform(
            billing_pb2_grpc.BillingServiceStub(billing),  # type: ignore[arg-type]
            credits_pb2_grpc.CreditsServiceStub(credits),  # type: ignore[arg-type]
            db_pool,
            StripeFake(),
        )
        yield platform, billing_pb2_grpc.BillingAdminServiceStub(billing)  # type: ignore[misc]


async def test_a_replay_adds_nothing_already_applied(
    guarded: tuple[Platform, billing_pb2_grpc.BillingAdminServiceAsyncStub],
) -> None:
    platform, admin = guarded
    who = new_customer(platform.stripe, random_id("acct"))
    refund = platform.stripe.refund("re_r", charge="ch_r", payment_intent="pi_r", amount=1)
    await platform.deliver(*first_four(platform.stripe, who))
    await platform.deliver(platform.stripe.event("refund.created", refund))
    await platform.settled()
    before = await platform.balance(who.account)

    operator = bearer_metadata(sign_service_token(JWT, role="operator", subject="test"))
    report = await admin.Replay(billing_pb2.ReplayRequest(wait_seconds=30), metadata=operator)
    await platform.settled()

    assert (report.requeued, report.processed, report.parked, report.pending) == (5, 4, 1, 0)
    assert await platform.balance(who.account) == before


async def test_replay_needs_the_service_credential(
    guarded: tuple[Platform, billing_pb2_grpc.BillingAdminServiceAsyncStub],
) -> None:
    _, admin = guarded
    forged = bearer_metadata(sign_service_token("x" * 32, role="operator", subject="x"))

    for metadata in ((), forged):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await admin.Replay(billing_pb2.ReplayRequest(), metadata=metadata)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_orders_recorded_while_credits_is_down_reach_it_once_it_is_back(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, db_pool: DbPool
) -> None:
    stripe, account = StripeFake(), random_id("acct")
    invoice = stripe.invoice(
        "in_down",
        subscription="sub_x",
        customer="cus_x",
        account=account,
        lines=[stripe.line("price_pro_monthly", 2000, start=START)],
    )
    paid = stripe.event("invoice.paid", invoice)
    nowhere = fast_settings(database_url, nats_url, bus_prefix, "127.0.0.1:9")
    async with serving_billing(nowhere) as address, channel(address) as opened:
        stub = billing_pb2_grpc.BillingServiceStub(opened)
        await stub.HandleStripeWebhook(
            billing_pb2.HandleStripeWebhookRequest(body=paid.body, headers=paid.headers)
        )
        # Both grants are recorded; the first is tried and failing, the second waits behind it.
        await _until(
            db_pool,
            "SELECT count(*) = 2 AND max(attempts) > 0 FROM ledger_orders WHERE state = 'pending'",
        )
    # That billing process is gone; its orders wait, recorded. Another one delivers them.
    async with AsyncExitStack() as stack:
        settings = fast_settings(database_url, nats_url, bus_prefix, credits_address)
        await stack.enter_async_context(serving_billing(settings))
        credits = await stack.enter_async_context(channel(credits_address))
        platform = Platform(None, credits_pb2_grpc.CreditsServiceStub(credits), db_pool, stripe)  # type: ignore[arg-type]
        await db_pool.execute("UPDATE ledger_orders SET next_attempt_at = now()")
        await platform.settled()
        assert (await platform.balance(account)).granted == 2000


class DiesAfterSending:
    """Credits applies the order, then billing 'dies' before it can record the delivery."""

    def __init__(self, ledger: CreditsLedger) -> None:
        self._ledger = ledger

    async def grant(self, order: GrantOrder) -> None:
        await self._ledger.grant(order)
        raise ConnectionResetError("billing died after credits applied the grant")

    async def revoke(self, order: RevokeOrder) -> Revoked:
        await self._ledger.revoke(order)
        raise ConnectionResetError("billing died after credits applied the revocation")


async def test_an_order_credits_applied_before_billing_died_is_not_applied_twice(
    credits_address: str, db_pool: DbPool
) -> None:
    account = random_id("acct")
    await apply_migrations(db_pool, "billing", MIGRATIONS)
    grant = GrantOrder(account, "pack:cs_die", 500, "pack", 0, None, "cs_die")
    async with db_pool.acquire() as conn, conn.transaction():
        await order_table.add(conn, grant)
    async with channel(credits_address) as opened:
        ledger = CreditsLedger(opened)
        credits = credits_pb2_grpc.CreditsServiceStub(opened)
        dying = OrderDelivery(db_pool, DiesAfterSending(ledger), wake=asyncio.Event(), poll_s=1)
        steady = OrderDelivery(db_pool, ledger, wake=asyncio.Event(), poll_s=1)

        assert await dying.deliver_next()
        await db_pool.execute("UPDATE ledger_orders SET next_attempt_at = now()")
        assert await steady.deliver_next()

        balance = await credits.GetBalance(credits_pb2.GetBalanceRequest(account_id=account))
    assert balance.balance.granted == 500
    row = await db_pool.fetchrow("SELECT state, attempts, delivered_amount FROM ledger_orders")
    assert row is not None
    assert tuple(row) == ("delivered", 2, 500)


async def _until(pool: DbPool, query: str) -> None:
    for _ in range(300):
        if await pool.fetchval(query):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never true: {query}")
