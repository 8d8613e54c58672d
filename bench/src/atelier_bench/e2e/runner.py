"""Runs the e2e benchmark: the platform up, accounts funded, `clients` loops of generations
through the edge for `duration_s`, then the same number of clients cycling freeze→confirm on the
ledger for as long (its floor), all in one run on one machine."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import httpx

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_bench.credits.stats import percentile
from atelier_bench.e2e.journeys import Journey, freeze_and_confirm, generate
from atelier_bench.e2e.platform_run import RunningPlatform, running_platform
from atelier_bench.e2e.report import E2eReport
from atelier_runtime.grpc_client import channel
from atelier_runtime.service_auth import sign_token

Progress = Callable[[str], None]
Client = TypeVar("Client")
Outcome = TypeVar("Outcome")
FUNDS = 10_000_000


@dataclass(frozen=True)
class Parameters:
    clients: int = 32
    duration_s: float = 20.0
    warmup_s: float = 3.0
    tool: str = "text-to-image"
    model: str = "local"


def run_e2e_bench(parameters: Parameters, progress: Progress) -> E2eReport:
    with tempfile.TemporaryDirectory(prefix="atelier-bench-e2e-logs-") as logs:
        log = Path(logs) / "up.log"
        started = time.monotonic()
        with running_platform(log) as platform:
            progress(f"platform up at {platform.edge_url}")
            return asyncio.run(_measure(platform, parameters, progress, started))


async def _measure(
    platform: RunningPlatform, p: Parameters, progress: Progress, started: float
) -> E2eReport:
    accounts = [f"bench-e2e-{uuid.uuid4().hex[:8]}-{i}" for i in range(p.clients)]
    async with channel(platform.credits_address) as credits_channel:
        credits = credits_pb2_grpc.CreditsServiceStub(credits_channel)
        await asyncio.gather(*(_fund(credits, a) for a in accounts))
        clients = [_edge_client(platform, a) for a in accounts]
        try:
            progress(f"warming up for {p.warmup_s:g} s")
            await _loops(clients, lambda c: generate(c, p.tool, p.model), p.warmup_s)
            progress(f"{p.clients} clients generating for {p.duration_s:g} s")
            t0 = time.perf_counter()
            journeys = await _loops(clients, lambda c: generate(c, p.tool, p.model), p.duration_s)
            generating_s = time.perf_counter() - t0
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        progress(f"{p.clients} clients cycling freeze→confirm on the ledger for {p.duration_s:g} s")
        t0 = time.perf_counter()
        cycles = await _loops(accounts, lambda a: freeze_and_confirm(credits, a, 1), p.duration_s)
        cycling_s = time.perf_counter() - t0
    return _report(p, journeys, generating_s, cycles, cycling_s, time.monotonic() - started)


async def _fund(credits: object, account: str) -> None:
    request = credits_pb2.GrantRequest(
        account_id=account, grant_id=f"fund-{account}", amount=FUNDS, source="admin"
    )
    await credits.Grant(request)  # type: ignore[attr-defined]


def _edge_client(platform: RunningPlatform, account: str) -> httpx.AsyncClient:
    token = sign_token(platform.jwt_secret, subject=account, ttl=timedelta(hours=2))
    return httpx.AsyncClient(
        base_url=platform.edge_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60.0,
        trust_env=False,
    )


async def _loops(
    clients: list[Client], work: Callable[[Client], Awaitable[Outcome]], duration_s: float
) -> list[Outcome]:
    """Each client repeats `work` until the deadline; work in flight then finishes and counts."""
    deadline = time.perf_counter() + duration_s
    outcomes: list[Outcome] = []

    async def loop(client: Client) -> None:
        while time.perf_counter() < deadline:
            outcomes.append(await work(client))

    await asyncio.gather(*(loop(c) for c in clients))
    return outcomes


def _report(
    p: Parameters,
    journeys: list[Journey],
    generating_s: float,
    cycles: list[float | None],
    cycling_s: float,
    wall_s: float,
) -> E2eReport:
    done = [j for j in journeys if j.stored_s is not None]
    failed = [j for j in journeys if j.error]
    succeeded = [j.succeeded_s * 1000 for j in done if j.succeeded_s is not None]
    stored = [j.stored_s * 1000 for j in done if j.stored_s is not None]
    good_cycles = [c * 1000 for c in cycles if c is not None]
    return E2eReport(
        clients=p.clients,
        duration_s=p.duration_s,
        tool=p.tool,
        model=p.model,
        generations=len(done),
        generations_per_s=round(len(done) / generating_s, 2),
        succeeded_p50_ms=round(percentile(succeeded, 0.5), 1),
        succeeded_p99_ms=round(percentile(succeeded, 0.99), 1),
        stored_p50_ms=round(percentile(stored, 0.5), 1),
        stored_p99_ms=round(percentile(stored, 0.99), 1),
        errors=len(failed) + (len(cycles) - len(good_cycles)),
        first_error=failed[0].error if failed else "",
        floor_cycles=len(good_cycles),
        floor_cycles_per_s=round(len(good_cycles) / cycling_s, 2),
        floor_p50_ms=round(percentile(good_cycles, 0.5), 1),
        floor_p99_ms=round(percentile(good_cycles, 0.99), 1),
        wall_s=round(wall_s, 1),
    )
