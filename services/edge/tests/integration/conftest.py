"""Two ways to run the edge against real backends.

`platform`: one platform for the whole session (starting five services costs seconds); tests
isolate themselves by using accounts of their own, and every module using it marks itself to run
in the session's event loop (`pytestmark`), where the platform's servers live.

`backends` and `edge`: credits and generation (local provider, a little latency so a generation
reports progress several times) and an edge in front, per test, on the test's NATS prefix — for
the live event streams, whose tests restart and compare edges.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
import pytest_asyncio
from services.credits.tests.credits_service import fast_settings as credits_settings
from services.credits.tests.credits_service import serving_credits
from services.edge.tests.edge_platform import Platform, running_platform
from services.edge.tests.edge_server import ServedEdge, edge_settings, serving_edge
from services.generation.tests.generation_service import service_settings, serving_generation
from services.generation.tests.saga_support import SagaClients

from atelier.credits.v1 import credits_pb2_grpc
from atelier.generation.v1 import generation_pb2_grpc
from atelier_runtime.grpc_client import channel
from atelier_testing.ids import random_name
from atelier_testing.infrastructure import Servers


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def platform(servers: Servers) -> AsyncIterator[Platform]:
    async with running_platform(servers) as running:
        yield running


@pytest.fixture
def account() -> str:
    return random_name("acct-")


LOCAL_LATENCY_S = 1.5


@pytest.fixture
async def backends(
    new_database: Callable[[], Awaitable[str]], nats_url: str, bus_prefix: str
) -> AsyncIterator[SagaClients]:
    """Credits and generation, served; their clients (and generation's address)."""
    async with AsyncExitStack() as stack:
        credits_url, generation_url = await new_database(), await new_database()
        credits_address = await stack.enter_async_context(
            serving_credits(credits_settings(credits_url, nats_url, bus_prefix))
        )
        settings = service_settings(
            generation_url,
            nats_url,
            bus_prefix,
            credits_addr=credits_address,
            local_provider_latency_s=LOCAL_LATENCY_S,
            generation_provider_poll_first_s=0.05,
        )
        address = await stack.enter_async_context(serving_generation(settings))
        generation = await stack.enter_async_context(channel(address))
        credits = await stack.enter_async_context(channel(credits_address))
        yield SagaClients(
            generation=generation_pb2_grpc.GenerationServiceStub(generation),  # type: ignore[arg-type]
            credits=credits_pb2_grpc.CreditsServiceStub(credits),  # type: ignore[arg-type]
            address=address,
        )


@pytest.fixture
def edge_heartbeat_s() -> float:
    return 15.0


@pytest.fixture
async def edge(
    backends: SagaClients,
    new_database: Callable[[], Awaitable[str]],
    nats_url: str,
    bus_prefix: str,
    edge_heartbeat_s: float,
) -> AsyncIterator[ServedEdge]:
    settings = edge_settings(
        await new_database(),
        nats_url,
        bus_prefix,
        backends.address,
        edge_sse_heartbeat_s=edge_heartbeat_s,
    )
    async with serving_edge(settings) as served:
        yield served
