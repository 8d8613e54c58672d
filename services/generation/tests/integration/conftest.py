"""Generation integration fixtures: a real credits service beside generation, each with its own
database, on the test's NATS prefix."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any

import pytest
from services.credits.tests.credits_service import fast_settings as credits_settings
from services.credits.tests.credits_service import serving_credits
from services.generation.tests.generation_service import service_settings, serving_generation
from services.generation.tests.local_support import local_provider
from services.generation.tests.saga_parts import CountingProvider, World, composition
from services.generation.tests.saga_support import SagaClients

from atelier.credits.v1 import credits_pb2_grpc
from atelier.generation.v1 import generation_pb2_grpc
from atelier_generation.providers.provider import Provider
from atelier_runtime.grpc_client import channel


@pytest.fixture
async def credits_database_url(new_database: Callable[[], Awaitable[str]]) -> str:
    """A fresh database for the credits service beside generation's."""
    return await new_database()


@pytest.fixture
async def credits_address(
    credits_database_url: str, nats_url: str, bus_prefix: str
) -> AsyncIterator[str]:
    settings = credits_settings(credits_database_url, nats_url, bus_prefix)
    async with serving_credits(settings) as address:
        yield address


@contextlib.asynccontextmanager
async def saga_clients(
    database_url: str,
    nats_url: str,
    bus_prefix: str,
    credits_address: str,
    providers: Mapping[str, Provider] | None = None,
    **overrides: Any,
) -> AsyncIterator[SagaClients]:
    """Generation served beside credits, with its settings `overrides` (and `providers` instead
    of the configured ones, when given); both clients."""
    settings = service_settings(
        database_url, nats_url, bus_prefix, credits_addr=credits_address, **overrides
    )
    async with AsyncExitStack() as stack:
        address = await stack.enter_async_context(serving_generation(settings, providers))
        generation = await stack.enter_async_context(channel(address))
        credits = await stack.enter_async_context(channel(credits_address))
        yield SagaClients(
            generation=generation_pb2_grpc.GenerationServiceStub(generation),  # type: ignore[arg-type]
            credits=credits_pb2_grpc.CreditsServiceStub(credits),  # type: ignore[arg-type]
            address=address,
        )


@pytest.fixture
async def saga(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> AsyncIterator[SagaClients]:
    async with saga_clients(database_url, nats_url, bus_prefix, credits_address) as clients:
        yield clients


@pytest.fixture
async def world(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        provider = CountingProvider(await stack.enter_async_context(local_provider()))
        first, second = [
            await stack.enter_async_context(
                composition(
                    database_url,
                    nats_url,
                    bus_prefix,
                    credits_address,
                    provider,
                    generation_lease_s=0.6,
                )
            )
            for _ in range(2)
        ]
        credits = await stack.enter_async_context(channel(credits_address))
        yield World(first, second, provider, credits_pb2_grpc.CreditsServiceStub(credits))  # type: ignore[arg-type]
