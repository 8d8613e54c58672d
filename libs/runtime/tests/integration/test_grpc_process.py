from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import grpc.aio
import pytest
from google.protobuf.struct_pb2 import Struct
from grpc_health.v1 import health_pb2, health_pb2_grpc

from atelier_runtime.grpc_client import channel
from atelier_testing.polling import eventually

APP = Path(__file__).with_name("slow_service_app.py")
DRAIN_S = 1.0
GRACE_S = 5.0
DEADLINE_S = 20.0


def service_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATELIER_")}
    env.update(
        ATELIER_SHUTDOWN_DRAIN_S=str(DRAIN_S), ATELIER_SHUTDOWN_GRACE_S=str(GRACE_S), **overrides
    )
    return env


async def start(**overrides: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(APP),
        env=service_env(**overrides),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def next_line(process: asyncio.subprocess.Process, prefix: str) -> str:
    assert process.stdout is not None
    async with asyncio.timeout(DEADLINE_S):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise AssertionError(f"process ended before printing {prefix!r}")
            if line.startswith(prefix):
                return line.strip()


@pytest.fixture
async def service() -> AsyncIterator[asyncio.subprocess.Process]:
    process = await start()
    yield process
    if process.returncode is None:
        process.kill()
        await process.wait()


async def health_status(client: grpc.aio.Channel) -> int:
    response = await health_pb2_grpc.HealthStub(client).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=2
    )
    status: int = response.status
    return status


async def wait_for_status(client: grpc.aio.Channel, wanted: int) -> None:
    async def reached() -> bool:
        return await health_status(client) == wanted

    await eventually(reached, DEADLINE_S, what=f"health status {wanted}")


async def test_sigterm_drains_finishes_the_call_in_flight_and_exits_cleanly(
    service: asyncio.subprocess.Process,
) -> None:
    port = int((await next_line(service, "READY")).split()[1])
    async with channel(f"127.0.0.1:{port}") as client:
        await wait_for_status(client, health_pb2.HealthCheckResponse.SERVING)
        work = client.unary_unary(
            "/atelier.test.v1.Slow/Work",
            request_serializer=Struct.SerializeToString,
            response_deserializer=Struct.FromString,
        )
        in_flight = asyncio.ensure_future(work(Struct(), timeout=DEADLINE_S))
        await next_line(service, "STARTED")

        service.send_signal(signal.SIGTERM)

        await wait_for_status(client, health_pb2.HealthCheckResponse.NOT_SERVING)
        response = await in_flight
        assert response["done"] is True

    await next_line(service, "CLOSED")
    exit_code = await asyncio.wait_for(service.wait(), timeout=DRAIN_S + GRACE_S + 5)
    assert exit_code == 0


async def test_a_malformed_variable_stops_the_process_with_status_2_naming_it() -> None:
    process = await start(ATELIER_GRPC_PORT="abc")

    _, stderr = await asyncio.wait_for(process.communicate(), timeout=DEADLINE_S)

    assert process.returncode == 2
    # One line, no traceback: the variable, what it must be, and what it was.
    assert stderr.decode() == (
        "ATELIER_GRPC_PORT: must be a port number 0-65535 (0 picks a free one), got 'abc'\n"
    )
