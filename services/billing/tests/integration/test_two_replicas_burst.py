"""Two billing processes (two composition roots, one database) take a burst of 500 events, each
delivered to both: every event is applied once and every effect lands in the ledger once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from services.billing.tests.billing_service import Platform, fast_settings, serving_billing
from services.billing.tests.stripe_fake import SignedEvent, StripeFake
from services.billing.tests.subscription_story import START

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.credits.v1 import credits_pb2_grpc
from atelier_runtime.db import DbPool
from atelier_runtime.grpc_client import channel
from atelier_testing.ids import random_id

ACCOUNTS = 125  # four events each: 500
CONCURRENT_CALLS = 16


@pytest.fixture
async def replicas(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, db_pool: DbPool
) -> AsyncIterator[tuple[Platform, Platform]]:
    settings = fast_settings(database_url, nats_url, bus_prefix, credits_address)
    async with AsyncExitStack() as stack:
        platforms = []
        credits = credits_pb2_grpc.CreditsServiceStub(
            await stack.enter_async_context(channel(credits_address))
        )
        for _ in range(2):
            address = await stack.enter_async_context(serving_billing(settings))
            billing = billing_pb2_grpc.BillingServiceStub(
                await stack.enter_async_context(channel(address))
            )
            platforms.append(Platform(billing, credits, db_pool, StripeFake()))  # type: ignore[arg-type]
        yield platforms[0], platforms[1]


def one_accounts_events(stripe: StripeFake, account: str) -> list[SignedEvent]:
    """A basic plan's invoice (twice, as twin events), a pack, and a refund of a fifth of it."""
    invoice = stripe.invoice(
        stripe.id("in"),
        subscription=stripe.id("sub"),
        customer=stripe.id("cus"),
        account=account,
        lines=[stripe.line("price_basic_monthly", 900, start=START)],
    )
    pack = stripe.checkout(
        stripe.id("cs"),
        mode="payment",
        account=account,
        customer=stripe.id("cus"),
        price="price_pack_500",
        payment_intent=stripe.id("pi"),
        amount_total=1000,
    )
    refund = stripe.refund(
        stripe.id("re"), charge=stripe.id("ch"), payment_intent=pack["payment_intent"], amount=200
    )
    return [
        stripe.event("invoice.paid", invoice),
        stripe.event("invoice.paid", invoice),
        stripe.event("checkout.session.completed", pack),
        stripe.event("refund.created", refund),
    ]


async def test_a_burst_on_two_replicas_applies_each_effect_once(
    replicas: tuple[Platform, Platform],
) -> None:
    first, second = replicas
    stripe = StripeFake()
    accounts = [random_id("acct") for _ in range(ACCOUNTS)]
    events = [e for account in accounts for e in one_accounts_events(stripe, account)]
    # Stripe delivers in no particular order: refunds may well come before their payment.
    events.reverse()
    gate = asyncio.Semaphore(CONCURRENT_CALLS)

    async def both_take(event: SignedEvent) -> list[bool]:
        async with gate:
            answers = await asyncio.gather(first.deliver(event), second.deliver(event))
        return [answer[0].duplicate for answer in answers]

    duplicates = await asyncio.gather(*(both_take(e) for e in events))
    await first.settled(within_s=120)

    assert all(sorted(pair) == [False, True] for pair in duplicates)
    states = await first.pool.fetch("SELECT state, count(*) AS n FROM stripe_events GROUP BY state")
    assert {row["state"]: row["n"] for row in states} == {"processed": 500}
    for account in accounts:
        balance = await first.balance(account)
        # 400 for the plan and 500 for the pack, less a fifth of the pack.
        assert (balance.granted, balance.revoked, balance.available) == (900, 100, 800), account
    orders = await first.pool.fetchval(
        "SELECT count(*) FROM ledger_orders WHERE state = 'delivered'"
    )
    assert orders == ACCOUNTS * 4  # the plan's two grants, the pack's, the refund's revocation
    parked = await second.billing.ListParked(billing_pb2.ListParkedRequest())
    assert list(parked.events) == []
