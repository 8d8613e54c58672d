"""`atelier up --scale credits=2`: two credits processes, both listed, both healthy, both used."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from tests.e2e.platform_process import Platform, atelier

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_localinfra import free_port
from atelier_runtime.grpc_client import balanced_channel
from atelier_runtime.grpc_health_check import replica_status
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually
from atelier_testing.private_dirs import private_directory

CALLS = 20
RESTART_DEADLINE_S = 60.0
# Server spans go to each process's log (its stdout), flushed within a tenth of a second.
SPANS_TO_LOGS = {"ATELIER_OTEL_EXPORTER": "console", "OTEL_BSP_SCHEDULE_DELAY": "100"}


@pytest.fixture(scope="module")
def scaled() -> Iterator[Platform]:
    """One platform for the whole module: starting one costs seconds."""
    with private_directory() as work:
        yield from _scaled(work)


def _scaled(work: Path) -> Iterator[Platform]:
    platform = Platform(
        work / "home",
        free_port(),
        up_args=["--scale", "credits=2"],
        env=SPANS_TO_LOGS,
    )
    platform.start()
    try:
        platform.wait_ready()
        yield platform
        assert platform.interrupt() == 0
    finally:
        platform.kill()


def record_of(platform: Platform) -> PlatformRecord:
    return AtelierHome(platform.home).read_record()


def credits_replicas(platform: Platform) -> list[str]:
    return record_of(platform).services["credits"].split(",")


async def serving(address: str) -> bool:
    return await replica_status(address, timeout_s=1.0) == "SERVING"


def listening_pid(address: str) -> int:
    """The process listening on a replica's port: replicas differ by nothing else."""
    port = int(address.rsplit(":", 1)[1])
    for connection in psutil.net_connections(kind="tcp"):
        local = connection.laddr
        if connection.status == psutil.CONN_LISTEN and local and local.port == port:
            assert connection.pid is not None
            return connection.pid
    raise AssertionError(f"nothing listens on {address}")


def traceparent(trace_id: str) -> tuple[tuple[str, str], ...]:
    # A trace of our own, so each replica's spans of these calls can be told from any other.
    return (("traceparent", f"00-{trace_id}-{os.urandom(8).hex()}-01"),)


async def test_platform_json_lists_two_credits_replicas_on_distinct_ports(
    scaled: Platform,
) -> None:
    record = record_of(scaled)
    credits = credits_replicas(scaled)

    assert len(credits) == 2
    assert len({address.rsplit(":", 1)[1] for address in credits}) == 2
    assert all(len(record.services[name].split(",")) == 1 for name in ("media", "billing"))
    logs = scaled.home / "logs"
    assert (logs / "credits-1.log").exists()
    assert (logs / "credits-2.log").exists()


async def test_both_credits_replicas_answer_health(scaled: Platform) -> None:
    for address in credits_replicas(scaled):
        await eventually(functools.partial(serving, address), 30, what=f"{address} serving")


async def test_status_lists_every_replica_with_its_health(scaled: Platform) -> None:
    for address in credits_replicas(scaled):
        await eventually(functools.partial(serving, address), 30, what=f"{address} serving")

    status = await atelier(scaled, "status")

    assert status.returncode == 0, status.stdout + status.stderr
    first, second = credits_replicas(scaled)
    assert re.search(rf"^credits-1\s+{re.escape(first)}\s+SERVING$", status.stdout, re.M)
    assert re.search(rf"^credits-2\s+{re.escape(second)}\s+SERVING$", status.stdout, re.M)
    assert re.search(r"^edge\s+http://\S+\s+ready$", status.stdout, re.M)
    for lone in ("generation", "media", "billing"):
        assert re.search(rf"^{lone}\s+127\.0\.0\.1:\d+\s+SERVING$", status.stdout, re.M)


async def test_credits_commands_reach_the_replicas_through_the_cli(scaled: Platform) -> None:
    account = random_id("acct")

    granted = await atelier(scaled, "credits", "grant", account, "70")
    balance = await atelier(scaled, "credits", "balance", account)

    assert granted.returncode == 0, granted.stderr
    assert balance.returncode == 0, balance.stderr
    assert "available  70" in balance.stdout


async def test_a_channel_over_the_list_deals_calls_to_both_replicas(scaled: Platform) -> None:
    trace_id = os.urandom(16).hex()
    request = credits_pb2.GetBalanceRequest(account_id=random_id("acct"))
    async with balanced_channel(
        record_of(scaled).services["credits"], variable="credits in platform.json"
    ) as channel:
        stub = credits_pb2_grpc.CreditsServiceStub(channel)
        for _ in range(CALLS):
            await stub.GetBalance(request, timeout=10, metadata=traceparent(trace_id))

    async def served_a_call(log: Path) -> bool:
        return f"0x{trace_id}" in await asyncio.to_thread(log.read_text, errors="replace")

    for name in ("credits-1", "credits-2"):
        log = scaled.home / "logs" / f"{name}.log"
        await eventually(functools.partial(served_a_call, log), 15, what=f"{name} served a call")


async def test_a_crashed_replica_is_restarted_alone_while_calls_go_on(scaled: Platform) -> None:
    first, second = credits_replicas(scaled)
    crashed, survivor = listening_pid(first), listening_pid(second)
    account = random_id("acct")

    os.kill(crashed, signal.SIGKILL)
    async with balanced_channel(f"{first},{second}", variable="the credits replicas") as channel:
        stub = credits_pb2_grpc.CreditsServiceStub(channel)
        for n in range(CALLS):
            grant = credits_pb2.GrantRequest(account_id=account, grant_id=f"g{n}", amount=1)
            await stub.Grant(grant, timeout=10)

    await eventually(functools.partial(serving, first), RESTART_DEADLINE_S, what="credits-1 back")
    assert listening_pid(first) != crashed
    assert listening_pid(second) == survivor
    balance = await atelier(scaled, "credits", "balance", account)
    assert f"available  {CALLS}" in balance.stdout
