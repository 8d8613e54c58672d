"""A balanced channel deals calls over every replica and leaves out one that is not serving."""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc.aio
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from atelier_runtime.grpc_client import balanced_channel
from atelier_runtime.grpc_health_check import replica_status, serving_status

CALLS = 30


class CountingHealth(health.aio.HealthServicer):  # type: ignore[misc]
    """A replica's health service that counts the Check calls it answers."""

    def __init__(self, name: str, answered: collections.Counter[str]) -> None:
        super().__init__()
        self._name = name
        self._answered = answered

    async def Check(self, request: Any, context: Any) -> Any:
        self._answered[self._name] += 1
        return await super().Check(request, context)


@dataclass
class Replica:
    name: str
    address: str
    server: grpc.aio.Server
    health: CountingHealth


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[list[Replica], collections.Counter[str]]]:
    answered: collections.Counter[str] = collections.Counter()
    started = []
    for n in range(3):
        server = grpc.aio.server()
        servicer = CountingHealth(f"replica-{n}", answered)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        started.append(Replica(f"replica-{n}", f"127.0.0.1:{port}", server, servicer))
    yield started, answered
    for replica in started:
        await replica.server.stop(None)


async def _check_many(addresses: str) -> list[str]:
    async with balanced_channel(addresses, variable="ATELIER_TEST_ADDR") as channel:
        return [await serving_status(channel, timeout_s=5.0) for _ in range(CALLS)]


async def test_calls_are_dealt_round_robin_over_every_replica_in_the_list(
    replicas: tuple[list[Replica], collections.Counter[str]],
) -> None:
    started, answered = replicas

    statuses = await _check_many(",".join(r.address for r in started))

    assert statuses == ["SERVING"] * CALLS
    assert set(answered) == {r.name for r in started}
    assert sum(answered.values()) == CALLS


async def test_a_replica_that_reports_not_serving_gets_no_new_calls(
    replicas: tuple[list[Replica], collections.Counter[str]],
) -> None:
    started, answered = replicas
    await started[0].health.enter_graceful_shutdown()

    statuses = await _check_many(",".join(r.address for r in started))

    assert statuses == ["SERVING"] * CALLS
    assert answered[started[0].name] == 0
    assert await replica_status(started[0].address, timeout_s=5.0) == "NOT_SERVING"


async def test_calls_go_on_over_the_others_when_a_replica_stops(
    replicas: tuple[list[Replica], collections.Counter[str]],
) -> None:
    started, answered = replicas
    async with balanced_channel(
        ",".join(r.address for r in started), variable="ATELIER_TEST_ADDR"
    ) as channel:
        before = [await serving_status(channel, timeout_s=5.0) for _ in range(CALLS)]
        await started[1].server.stop(None)
        answered_before_stop = answered[started[1].name]
        after = [await serving_status(channel, timeout_s=5.0) for _ in range(CALLS)]

    assert before == after == ["SERVING"] * CALLS
    assert answered_before_stop > 0
    assert answered[started[1].name] == answered_before_stop
    assert await replica_status(started[1].address, timeout_s=1.0) == "UNAVAILABLE"
