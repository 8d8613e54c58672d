"""One `atelier bench sse` run: N clients, each submits a generation through generation's gRPC
(credits granted first) and follows it over SSE on one edge process to its end, while one plain
NATS subscription in this process reads the same events directly."""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
from nats.aio.client import Client as NATS

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier.generation.v1 import generation_pb2 as pb
from atelier.generation.v1 import generation_pb2_grpc
from atelier_bench.credits.servers import Infrastructure, infrastructure
from atelier_bench.credits.stats import percentile
from atelier_bench.sse.bus_source import BusProducer, StandInGenerations, drive, serve_stand_in
from atelier_bench.sse.bus_watch import BusWatch, Seen
from atelier_bench.sse.edge_main import ACCOUNT_HEADER, raise_open_files_limit
from atelier_bench.sse.platform import HOST, GenerationTuning, Platform, edge_alone, platform
from atelier_bench.sse.report import Latency, SseReport
from atelier_bench.sse.sse_client import Arrival, Follower
from atelier_edge.live.events import Cursor
from atelier_runtime.bus import connect, ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.grpc_client import channel

Say = Callable[[str], None]
CLIENTS_PER_ACCOUNT = 100
SUBMITS_AT_ONCE = 32


@dataclass(frozen=True)
class Parameters:
    clients: int = 2000
    # How long each generation runs: the local provider's latency, or the spread of its events.
    duration_s: float = 10.0
    # "bus": the benchmark plays generation's part on the bus; "generation": the real service.
    source: str = "bus"


async def _grant(platform_: Platform, accounts: list[str]) -> None:
    async with channel(platform_.credits_addr) as conn:
        stub = credits_pb2_grpc.CreditsServiceStub(conn)
        for account in accounts:
            request = credits_pb2.GrantRequest(
                account_id=account, grant_id=f"{account}-grant", amount=10**9, source="bench"
            )
            await stub.Grant(request)  # type: ignore[misc]


class _Peak:
    """Samples the edge's RSS with the number of streams open at that moment."""

    def __init__(self, pid: int, followers: list[Follower]) -> None:
        self._process = psutil.Process(pid)
        self._followers = followers
        self.before = self._process.memory_info().rss
        self.rss = self.before
        self.open = 0

    def sample(self) -> None:
        open_now = sum(1 for f in self._followers if f.arrivals and not f.finished)
        if open_now >= self.open:
            self.open, self.rss = open_now, self._process.memory_info().rss

    async def watch(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.2)


def _micros(seconds: float) -> int:
    return round(seconds * 1e6)


def _problem(follower: Follower, seen: list[Seen]) -> str:
    """What is wrong with what this client received, given what its generation published."""
    if follower.error:
        return f"{follower.generation_id}: {follower.error}"
    if not follower.arrivals or not follower.arrivals[0].snapshot:
        return f"{follower.generation_id}: the stream did not start with a snapshot"
    reflected = Cursor.parse(follower.arrivals[0].id).reflected_us or 0
    expected = [(s.kind, s.occurred_us) for s in seen if s.occurred_us > reflected]
    got = [(a.kind, _micros(a.occurred_at)) for a in follower.arrivals[1:] if not a.snapshot]
    # A snapshot sent on a reconnect stands for the events it reflects.
    covered = max((_micros(a.occurred_at) for a in follower.arrivals[1:] if a.snapshot), default=0)
    if got != [e for e in expected if e in got] or any(
        e not in got and e[1] > covered for e in expected
    ):
        return f"{follower.generation_id}: received {got}, published after snapshot {expected}"
    if len(set(got)) != len(got):
        return f"{follower.generation_id}: an event came twice: {got}"
    return ""


async def _run(parameters: Parameters, say: Say) -> SseReport:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="atelier-bench-sse-") as work:
        logs = Path(work) / "logs"
        with infrastructure(Path(work)) as infra:
            if parameters.source == "bus":
                return await _run_on_the_bus(parameters, infra, logs, say, started)
            accounts = max(1, math.ceil(parameters.clients / CLIENTS_PER_ACCOUNT))
            tuning = GenerationTuning(parameters.duration_s, workers=160, running_per_account=
                                      max(1, 160 // accounts))  # fmt: skip
            async with platform(infra, logs, tuning) as served:
                say(f"services up (logs in {logs}); {parameters.clients} clients")
                return await _measure(parameters, served, accounts, started)


async def _run_on_the_bus(
    parameters: Parameters, infra: Infrastructure, logs: Path, say: Say, started: float
) -> SseReport:
    prefix = f"bench{secrets.token_hex(3)}"
    names = BusNames(prefix)
    nats = await connect(infra.nats_url, "atelier-bench-sse")
    await ensure_stream(nats.jetstream(), names, "generation", max_age=3600)
    # Only GetGeneration is served: the edge's streams call nothing else.
    stand_in = StandInGenerations()  # type: ignore[abstract]
    server, address = await serve_stand_in(stand_in)
    try:
        async with edge_alone(infra, logs, address, prefix) as served:
            say(f"edge up (logs in {logs}); {parameters.clients} clients")
            return await _measure_on_the_bus(parameters, served, nats, stand_in, started)
    finally:
        await server.stop(None)
        await nats.close()


async def _measure_on_the_bus(
    parameters: Parameters,
    served: Platform,
    nats: NATS,
    stand_in: StandInGenerations,
    started: float,
) -> SseReport:
    names = BusNames(served.prefix)
    watch = BusWatch()
    await watch.start(nats, names.subjects("generation"))
    producer = BusProducer(nats.jetstream(), names, stand_in)
    followers = []
    for n in range(parameters.clients):
        follower = Follower(f"gen-bench-{n}", f"acct-bench-{n // CLIENTS_PER_ACCOUNT}")
        producer.create(follower.generation_id, follower.account)
        followers.append(follower)
    peak = _Peak(served.edge_pid, followers)
    tasks = [
        asyncio.create_task(f.follow(HOST, served.edge_port, ACCOUNT_HEADER)) for f in followers
    ]
    # Every stream open (its snapshot received) before the first event: the memory then is N's.
    for _ in range(600):  # two minutes at most
        if all(f.arrivals or f.error for f in followers):
            break
        await asyncio.sleep(0.2)
    peak.sample()
    await drive(producer, [f.generation_id for f in followers], parameters.duration_s)
    await asyncio.wait(tasks, timeout=parameters.duration_s + 60)
    await asyncio.sleep(0.5)  # the direct subscription's last messages
    consumers = len(await nats.jetstream().consumers_info(names.stream("generation")))
    await watch.stop()
    return _report(parameters, followers, watch, peak, consumers, started, tasks)


async def _measure(
    parameters: Parameters, served: Platform, accounts: int, started: float
) -> SseReport:
    names = BusNames(served.prefix)
    nats = await connect(served.nats_url, "atelier-bench-sse")
    watch = BusWatch()
    await watch.start(nats, names.subjects("generation"))
    account_ids = [f"acct-bench-{n}" for n in range(accounts)]
    await _grant(served, account_ids)
    followers: list[Follower] = []
    peak = _Peak(served.edge_pid, followers)
    sampler = asyncio.create_task(peak.watch())
    gate = asyncio.Semaphore(SUBMITS_AT_ONCE)
    async with channel(served.generation_addr) as conn:
        stub = generation_pb2_grpc.GenerationServiceStub(conn)

        async def one(n: int) -> None:
            account = account_ids[n % accounts]
            async with gate:
                request = pb.SubmitGenerationRequest(
                    account_id=account, idempotency_key=f"bench-{n}", tool="text-to-image",
                    model="local", params_json=json.dumps({"prompt": f"bench {n}"}),
                )  # fmt: skip
                reply = await stub.Submit(request)  # type: ignore[misc]
            follower = Follower(reply.generation.id, account)
            followers.append(follower)
            await follower.follow(HOST, served.edge_port, ACCOUNT_HEADER)

        tasks = [asyncio.create_task(one(n)) for n in range(parameters.clients)]
        await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0.5)  # the direct subscription's last messages
    sampler.cancel()
    consumers = len(await nats.jetstream().consumers_info(names.stream("generation")))
    await watch.stop()
    await nats.close()
    return _report(parameters, followers, watch, peak, consumers, started, tasks)


def _latency(values: list[float]) -> Latency:
    ms = [v * 1000 for v in values]
    return Latency(len(ms), round(percentile(ms, 0.5), 2), round(percentile(ms, 0.99), 2))


def _report(
    parameters: Parameters,
    followers: list[Follower],
    watch: BusWatch,
    peak: _Peak,
    consumers: int,
    started: float,
    tasks: list[asyncio.Task[None]],
) -> SseReport:
    problems = [_problem(f, watch.by_generation.get(f.generation_id, [])) for f in followers]
    wrong = [p for p in problems if p]
    failed_tasks = [t.exception() for t in tasks if t.exception() is not None]
    live: list[Arrival] = [a for f in followers for a in f.arrivals if not a.snapshot]
    mib = 1024 * 1024
    open_at_peak = max(peak.open, 1)
    return SseReport(
        clients=parameters.clients,
        source=parameters.source,
        duration_s=parameters.duration_s,
        streams_open_at_peak=peak.open,
        clients_complete=sum(1 for f in followers if f.finished),
        clients_with_wrong_events=len(wrong),
        client_errors=sum(1 for f in followers if f.error) + len(failed_tasks),
        first_problem=(wrong[0] if wrong else str(failed_tasks[0]) if failed_tasks else "")[:500],
        progress_events_delivered=sum(1 for a in live if a.kind == "progress"),
        edge=_latency([a.received_at - a.occurred_at for a in live]),
        nats_direct=_latency(watch.latencies_s()),
        edge_rss_before_mib=round(peak.before / mib, 1),
        edge_rss_peak_mib=round(peak.rss / mib, 1),
        kib_per_stream=round((peak.rss - peak.before) / 1024 / open_at_peak, 1),
        nats_subscriptions_of_the_edge=consumers,
        wall_s=round(time.monotonic() - started, 1),
    )


def run_sse_bench(parameters: Parameters, say: Say) -> SseReport:
    raise_open_files_limit()
    return asyncio.run(_run(parameters, say))
