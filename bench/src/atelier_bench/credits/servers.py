"""The servers of one run: PostgreSQL and NATS, then ours and the baseline as child processes.

Both contenders are started the same way (`python -m <module>` with ATELIER_* variables), on the
same PostgreSQL server, each with a database of its own, and are served by the same runtime
bootstrap; the load reaches both through the same client code.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_localinfra import LocalNats, LocalPostgres, ManagedProcess, free_port
from atelier_runtime.grpc_client import channel

if TYPE_CHECKING:
    from atelier_bench.credits.ledger_calls import Stub

SERVICE_NAME = credits_pb2.DESCRIPTOR.services_by_name["CreditsService"].full_name
START_TIMEOUT_S = 60.0
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Infrastructure:
    """Where PostgreSQL and NATS listen; `local_pids` are the servers this run started."""

    database_url: str
    nats_url: str
    local_pids: tuple[int, ...]
    given_database: bool
    given_nats: bool

    def database_url_for(self, database: str) -> str:
        return self.database_url.rsplit("/", 1)[0] + f"/{database}"


@contextmanager
def infrastructure(work_dir: Path) -> Iterator[Infrastructure]:
    """The servers named by ATELIER_DATABASE_URL / ATELIER_NATS_URL, or durable local ones."""
    given_database_url = database_url = os.environ.get("ATELIER_DATABASE_URL")
    given_nats_url = nats_url = os.environ.get("ATELIER_NATS_URL")
    pids: list[int] = []
    with ExitStack() as stack:
        if not database_url:
            # durable=True: fsync and synchronous_commit stay on, for both sides alike.
            postgres = LocalPostgres(
                work_dir / "postgres" / "data",
                durable=True,
                log_path=work_dir / "logs" / "postgres.log",
            ).start()
            stack.callback(postgres.stop)
            database_url = postgres.url()
            pids.append(postgres.process.pid or 0)
        if not nats_url:
            nats = LocalNats(
                work_dir / "nats" / "store", log_path=work_dir / "logs" / "nats.log"
            ).start()
            stack.callback(nats.stop)
            nats_url = nats.url
            pids.append(nats.process.pid or 0)
        yield Infrastructure(
            database_url, nats_url, tuple(pids), bool(given_database_url), bool(given_nats_url)
        )


@dataclass(frozen=True)
class ContenderSpec:
    """A server under test: its side's name, its module, its database."""

    side: str
    module: str
    database: str


@dataclass
class Contender:
    """A running contender and the stub the load drives it through."""

    spec: ContenderSpec
    process: ManagedProcess
    address: str
    stub: Stub | None = None

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    def client(self) -> Stub:
        if self.stub is None:
            raise RuntimeError(f"{self.spec.side} is not connected")
        return self.stub


def _environment(
    infra: Infrastructure, spec: ContenderSpec, port: int, bus_prefix: str
) -> dict[str, str]:
    # Whatever ATELIER_* tuning the caller exported applies; the addresses are this run's.
    return {
        **os.environ,
        "ATELIER_DATABASE_URL": infra.database_url_for(spec.database),
        "ATELIER_NATS_URL": infra.nats_url,
        "ATELIER_NATS_PREFIX": bus_prefix,
        "ATELIER_GRPC_HOST": HOST,
        "ATELIER_GRPC_PORT": str(port),
        "ATELIER_SHUTDOWN_DRAIN_S": "0",
    }


def _start(infra: Infrastructure, spec: ContenderSpec, log_dir: Path, bus_prefix: str) -> Contender:
    port = free_port(HOST)
    process = ManagedProcess(
        spec.side,
        [sys.executable, "-m", spec.module],
        log_dir / f"{spec.side}.log",
        env=_environment(infra, spec, port, bus_prefix),
    )
    process.start()
    return Contender(spec, process, f"{HOST}:{port}")


async def _wait_serving(contender: Contender) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    async with grpc.aio.insecure_channel(contender.address) as probe:
        health = health_pb2_grpc.HealthStub(probe)
        while time.monotonic() < deadline:
            if not contender.process.running():
                raise RuntimeError(
                    f"{contender.spec.side} exited during start; see {contender.process.log_path}:\n"
                    f"{contender.process.log_tail()}"
                )
            try:
                reply = await health.Check(
                    health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=1.0
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{contender.spec.side} was not serving within {START_TIMEOUT_S:.0f}s")


@asynccontextmanager
async def contenders(
    infra: Infrastructure, specs: tuple[ContenderSpec, ...], log_dir: Path, bus_prefix: str
) -> AsyncIterator[tuple[Contender, ...]]:
    """Starts every contender, waits until each serves, connects; stops them all on exit."""
    async with AsyncExitStack() as stack:
        started: list[Contender] = []
        for spec in specs:
            contender = _start(infra, spec, log_dir, bus_prefix)
            stack.callback(contender.process.stop)
            started.append(contender)
        for contender in started:
            await _wait_serving(contender)
            connection = await stack.enter_async_context(channel(contender.address))
            contender.stub = credits_pb2_grpc.CreditsServiceStub(connection)
        yield tuple(started)
