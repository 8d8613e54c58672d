"""Billing integration fixtures: billing and a real credits service, each with its own database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
from services.billing.tests.billing_service import Platform, fast_settings, serving_billing
from services.billing.tests.stripe_fake import StripeFake
from services.credits.tests.credits_service import fast_settings as credits_settings
from services.credits.tests.credits_service import serving_credits

from atelier.billing.v1 import billing_pb2_grpc
from atelier.credits.v1 import credits_pb2_grpc
from atelier_runtime.db import DbPool
from atelier_runtime.grpc_client import channel


@pytest.fixture
async def credits_database_url(new_database: Callable[[], Awaitable[str]]) -> str:
    """A fresh database for the credits service beside billing's."""
    return await new_database()


@pytest.fixture
async def credits_address(
    credits_database_url: str, nats_url: str, bus_prefix: str
) -> AsyncIterator[str]:
    settings = credits_settings(credits_database_url, nats_url, bus_prefix)
    async with serving_credits(settings) as address:
        yield address


@pytest.fixture
async def platform(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, db_pool: DbPool
) -> AsyncIterator[Platform]:
    settings = fast_settings(database_url, nats_url, bus_prefix, credits_address)
    async with AsyncExitStack() as stack:
        address = await stack.enter_async_context(serving_billing(settings))
        billing = await stack.enter_async_context(channel(address))
        credits = await stack.enter_async_context(channel(credits_address))
        yield Platform(
            billing=billing_pb2_grpc.BillingServiceStub(billing),  # type: ignore[arg-type]
            credits=credits_pb2_grpc.CreditsServiceStub(credits),  # type: ignore[arg-type]
            pool=db_pool,
            stripe=StripeFake(),
        )
