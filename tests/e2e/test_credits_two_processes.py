"""Two credits processes on one database never let an account overspend."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_cli.credits_audit import run_audit
from atelier_cli.platform_access import CreditsAdminTarget
from atelier_localinfra import ManagedProcess, free_port
from atelier_runtime.grpc_client import channel
from atelier_runtime.grpc_health_check import replica_status
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually

JWT_SECRET = "two-processes-test-secret-0123456789abc"


async def _serving(address: str) -> bool:
    return await replica_status(address, timeout_s=1.0) == "SERVING"


@pytest.fixture
async def two_credits_processes(
    database_url: str, nats_url: str, bus_prefix: str, tmp_path: Path
) -> AsyncIterator[list[str]]:
    processes, addresses = [], []
    for n in range(2):
        port = free_port()
        env = {
            **os.environ,
            "ATELIER_DATABASE_URL": database_url,
            "ATELIER_NATS_URL": nats_url,
            "ATELIER_NATS_PREFIX": bus_prefix,
            "ATELIER_GRPC_PORT": str(port),
            "ATELIER_JWT_SECRET": JWT_SECRET,
        }
        process = ManagedProcess(
            f"credits-{n}",
            [sys.executable, "-m", "atelier_credits.main"],
            tmp_path / f"credits-{n}.log",
            stop_signal=signal.SIGTERM,
            env=env,
        )
        process.start()
        processes.append(process)
        addresses.append(f"127.0.0.1:{port}")
    try:
        for address in addresses:
            await eventually(functools.partial(_serving, address), 30, what=f"credits at {address}")
        yield addresses
    finally:
        for process in processes:
            process.stop()


async def test_fifty_concurrent_freezes_of_five_on_ten_credits_let_exactly_two_through(
    two_credits_processes: list[str],
) -> None:
    account = random_id("acct")
    async with (
        channel(two_credits_processes[0]) as first,
        channel(two_credits_processes[1]) as second,
    ):
        stubs = [
            credits_pb2_grpc.CreditsServiceStub(first),
            credits_pb2_grpc.CreditsServiceStub(second),
        ]
        await stubs[0].Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g1", amount=10))

        async def freeze(n: int) -> grpc.StatusCode:
            request = credits_pb2.FreezeRequest(account_id=account, freeze_id=f"gen-{n}", amount=5)
            try:
                await stubs[n % 2].Freeze(request, timeout=30)
            except grpc.aio.AioRpcError as error:
                return error.code()
            return grpc.StatusCode.OK

        outcomes = await asyncio.gather(*(freeze(n) for n in range(50)))
        balance = (
            await stubs[1].GetBalance(credits_pb2.GetBalanceRequest(account_id=account))
        ).balance

    assert outcomes.count(grpc.StatusCode.OK) == 2
    assert outcomes.count(grpc.StatusCode.FAILED_PRECONDITION) == 48
    assert (balance.available, balance.frozen) == (0, 10)
    # Audited by the process that did not take the grant: both serve the one log.
    auditor = CreditsAdminTarget(two_credits_processes[1], JWT_SECRET)
    assert await asyncio.to_thread(run_audit, auditor, account, True) == 0
