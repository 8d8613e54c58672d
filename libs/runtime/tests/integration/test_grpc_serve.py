from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.service import ServiceScope, serve
from atelier_runtime.settings import ServiceSettings
from atelier_testing.polling import eventually

SETTINGS = ServiceSettings(service_name="ledger", shutdown_drain_s=0, shutdown_grace_s=1)


async def port_accepts_connections(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


class Recorder:
    """Collects what happened, in order, including whether the port was still open at close."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.port = 0

    def ready(self, port: int) -> None:
        self.port = port
        self.events.append("serving")

    @asynccontextmanager
    async def pool(self) -> AsyncIterator[str]:
        self.events.append("pool opened")
        try:
            yield "pool"
        finally:
            open_at_close = self.port > 0 and await port_accepts_connections(self.port)
            self.events.append(f"pool closed, port open: {open_at_close}")


async def test_sigterm_stops_the_server_before_resources_close_and_exits_0() -> None:
    recorder = Recorder()

    async def build(settings: ServiceSettings, scope: ServiceScope) -> list[GrpcService]:
        await scope.enter(recorder.pool())
        return []

    def ready(port: int) -> None:
        recorder.ready(port)
        os.kill(os.getpid(), signal.SIGTERM)

    status = await serve(SETTINGS, build, ready=ready)

    assert status == 0
    assert recorder.events == ["pool opened", "serving", "pool closed, port open: False"]


async def test_a_crashed_background_task_stops_the_service_with_status_1() -> None:
    recorder = Recorder()
    crash = asyncio.Event()

    async def consumer() -> None:
        await crash.wait()
        raise RuntimeError("lost the stream")

    async def build(settings: ServiceSettings, scope: ServiceScope) -> list[GrpcService]:
        await scope.enter(recorder.pool())
        scope.spawn(consumer(), name="consumer")
        return []

    def ready(port: int) -> None:
        recorder.ready(port)
        crash.set()

    status = await serve(SETTINGS, build, ready=ready)

    assert status == 1
    assert recorder.events[-1] == "pool closed, port open: False"


async def test_background_tasks_are_cancelled_before_the_resources_they_use_close() -> None:
    recorder = Recorder()

    async def consumer() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            recorder.events.append("consumer cancelled")

    async def build(settings: ServiceSettings, scope: ServiceScope) -> list[GrpcService]:
        await scope.enter(recorder.pool())
        scope.spawn(consumer(), name="consumer")
        return []

    def ready(port: int) -> None:
        recorder.ready(port)
        os.kill(os.getpid(), signal.SIGINT)

    assert await serve(SETTINGS, build, ready=ready) == 0
    assert recorder.events[-2:] == ["consumer cancelled", "pool closed, port open: False"]


async def test_a_failing_build_closes_what_it_opened_and_raises() -> None:
    recorder = Recorder()

    async def build(settings: ServiceSettings, scope: ServiceScope) -> list[GrpcService]:
        await scope.enter(recorder.pool())
        raise ConnectionError("database unreachable")

    with pytest.raises(ConnectionError):
        await serve(SETTINGS, build)

    assert recorder.events == ["pool opened", "pool closed, port open: False"]


async def test_cancelling_serve_stops_the_server_and_closes_resources() -> None:
    recorder = Recorder()
    serving = asyncio.Event()

    async def build(settings: ServiceSettings, scope: ServiceScope) -> list[GrpcService]:
        await scope.enter(recorder.pool())
        return []

    def ready(port: int) -> None:
        recorder.ready(port)
        serving.set()

    running = asyncio.create_task(serve(SETTINGS, build, ready=ready))
    await asyncio.wait_for(serving.wait(), timeout=10)

    running.cancel()

    with pytest.raises(asyncio.CancelledError):
        await running
    assert recorder.events == ["pool opened", "serving", "pool closed, port open: False"]


async def test_health_follows_the_readiness_checks_while_serving() -> None:
    problem: list[str] = []
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def build(settings: ServiceSettings, scope: ServiceScope) -> list[GrpcService]:
        scope.add_readiness_check(lambda: problem[0] if problem else None)
        return []

    async def status(port: int) -> int:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=2
            )
        return int(reply.status)

    serving = asyncio.create_task(serve(SETTINGS, build, ready=ready.set_result))
    try:
        port = await ready
        problem.append("relay outbox has failed for 61 s")

        async def not_serving() -> bool:
            return bool(await status(port) == health_pb2.HealthCheckResponse.NOT_SERVING)

        await eventually(not_serving, 10, what="NOT_SERVING while a check fails")
        problem.clear()

        async def serving_again() -> bool:
            return bool(await status(port) == health_pb2.HealthCheckResponse.SERVING)

        await eventually(serving_again, 10, what="SERVING once the check passes")
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
