"""The services one SSE run starts as child processes: credits, generation (local provider) and
the edge, on the run's PostgreSQL and NATS under a prefix of its own."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from atelier_bench.credits.servers import Infrastructure
from atelier_localinfra import ManagedProcess, free_port
from atelier_runtime.grpc_health_check import replica_status

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Platform:
    credits_addr: str
    generation_addr: str
    edge_port: int
    edge_pid: int
    nats_url: str
    prefix: str
    pids: tuple[int, ...]


@dataclass(frozen=True)
class GenerationTuning:
    latency_s: float
    workers: int
    running_per_account: int


def _process(name: str, module: str, log_dir: Path, env: dict[str, str]) -> ManagedProcess:
    process = ManagedProcess(
        name, [sys.executable, "-m", module], log_dir / f"{name}.log", env={**os.environ, **env}
    )
    process.start()
    return process


async def _until(ready: object, process: ManagedProcess, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not process.running():
            raise RuntimeError(f"{what} exited during start:\n{process.log_tail()}")
        if await ready():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{what} was not ready within {START_TIMEOUT_S:.0f}s")


async def _grpc_serving(address: str) -> bool:
    return await replica_status(address, 1.0) == "SERVING"


async def _edge_healthy(port: int) -> bool:
    def get() -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    return await asyncio.to_thread(get)


@asynccontextmanager
async def _edge(
    log_dir: Path, common: dict[str, str], port: int, generation_addr: str, database_url: str
) -> AsyncIterator[ManagedProcess]:
    edge = _process("edge", "atelier_bench.sse.edge_main", log_dir, {
        **common,
        "ATELIER_DATABASE_URL": database_url,
        "ATELIER_EDGE_HOST": HOST,
        "ATELIER_EDGE_PORT": str(port),
        "ATELIER_GENERATION_ADDR": generation_addr,
    })  # fmt: skip
    try:
        await _until(lambda: _edge_healthy(port), edge, "edge")
        yield edge
    finally:
        edge.stop()


@asynccontextmanager
async def edge_alone(
    infra: Infrastructure, log_dir: Path, generation_addr: str, prefix: str
) -> AsyncIterator[Platform]:
    """Only the edge, in front of whatever answers GetGeneration at `generation_addr`."""
    common = {"ATELIER_NATS_URL": infra.nats_url, "ATELIER_NATS_PREFIX": prefix}
    port = free_port(HOST)
    database_url = infra.database_url_for(f"{prefix}_edge")
    async with _edge(log_dir, common, port, generation_addr, database_url) as edge:
        pid = edge.pid or 0
        yield Platform("", generation_addr, port, pid, infra.nats_url, prefix, (pid,))


@asynccontextmanager
async def platform(
    infra: Infrastructure, log_dir: Path, tuning: GenerationTuning
) -> AsyncIterator[Platform]:
    prefix = f"bench{secrets.token_hex(3)}"
    common = {
        "ATELIER_NATS_URL": infra.nats_url,
        "ATELIER_NATS_PREFIX": prefix,
        "ATELIER_GRPC_HOST": HOST,
        "ATELIER_SHUTDOWN_DRAIN_S": "0",
    }
    credits_port, generation_port, edge_port = free_port(HOST), free_port(HOST), free_port(HOST)
    credits_addr, generation_addr = f"{HOST}:{credits_port}", f"{HOST}:{generation_port}"
    async with AsyncExitStack() as stack:
        credits = _process("credits", "atelier_credits.main", log_dir, {
            **common,
            "ATELIER_DATABASE_URL": infra.database_url_for(f"{prefix}_credits"),
            "ATELIER_GRPC_PORT": str(credits_port),
        })  # fmt: skip
        stack.callback(credits.stop)
        await _until(lambda: _grpc_serving(credits_addr), credits, "credits")
        generation = _process("generation", "atelier_generation.main", log_dir, {
            **common,
            "ATELIER_DATABASE_URL": infra.database_url_for(f"{prefix}_generation"),
            "ATELIER_GRPC_PORT": str(generation_port),
            "ATELIER_CREDITS_ADDR": credits_addr,
            "ATELIER_LOCAL_PROVIDER_LATENCY_S": str(tuning.latency_s),
            "ATELIER_GENERATION_WORKERS": str(tuning.workers),
            "ATELIER_GENERATION_MAX_RUNNING_PER_ACCOUNT": str(tuning.running_per_account),
        })  # fmt: skip
        stack.callback(generation.stop)
        await _until(lambda: _grpc_serving(generation_addr), generation, "generation")
        edge_database = infra.database_url_for(f"{prefix}_edge")
        edge = await stack.enter_async_context(
            _edge(log_dir, common, edge_port, generation_addr, edge_database)
        )
        pids = tuple(p.pid or 0 for p in (credits, generation, edge))
        yield Platform(
            credits_addr, generation_addr, edge_port, edge.pid or 0, infra.nats_url, prefix, pids
        )
