"""A generation process killed with SIGKILL mid-saga: another process takes its generations over
once their leases expire, and every freeze is settled exactly once."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from services.generation.tests.saga_support import (
    SagaClients,
    funded_account,
    ledger_becomes,
)

from atelier.credits.v1 import credits_pb2_grpc
from atelier.generation.v1 import generation_pb2 as pb
from atelier.generation.v1 import generation_pb2_grpc
from atelier_localinfra import ManagedProcess, free_port
from atelier_runtime.grpc_client import channel
from atelier_runtime.grpc_health_check import replica_status
from atelier_testing.polling import eventually


async def _serving(address: str) -> bool:
    return await replica_status(address, timeout_s=1.0) == "SERVING"


@contextlib.contextmanager
def generation_process(
    name: str, folder: Path, env: dict[str, str], **settings: str
) -> Iterator[tuple[ManagedProcess, str]]:
    port = free_port()
    variables = {f"ATELIER_{k.upper()}": v for k, v in settings.items()}
    process = ManagedProcess(
        name,
        [sys.executable, "-m", "atelier_generation.main"],
        folder / f"{name}.log",
        stop_signal=signal.SIGKILL,
        env={**env, **variables, "ATELIER_GRPC_PORT": str(port)},
    )
    process.start()
    try:
        yield process, f"127.0.0.1:{port}"
    finally:
        process.stop()


async def test_a_killed_process_leaves_nothing_unsettled(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, tmp_path: Path
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env = {
        **clean,
        "ATELIER_DATABASE_URL": database_url,
        "ATELIER_NATS_URL": nats_url,
        "ATELIER_NATS_PREFIX": bus_prefix,
        "ATELIER_CREDITS_ADDR": credits_address,
        "ATELIER_GENERATION_LEASE_S": "1",
        "ATELIER_GENERATION_POLL_S": "0.1",
        "ATELIER_GENERATION_MAX_RUNNING_PER_ACCOUNT": "1",
    }
    async with channel(credits_address) as credits_channel:
        credits = credits_pb2_grpc.CreditsServiceStub(credits_channel)  # type: ignore[arg-type]
        account = await funded_account(credits, 10)  # type: ignore[arg-type]
        # The first process runs slow jobs, so the kill finds one running and one queued.
        with generation_process("first", tmp_path, env, local_provider_latency_s="30") as (
            first,
            address,
        ):
            await eventually(functools.partial(_serving, address), 30, what="first process")
            async with channel(address) as ch:
                saga = SagaClients(generation_pb2_grpc.GenerationServiceStub(ch), credits)  # type: ignore[arg-type]
                running = await saga.submit(account, "a slow kite")
                queued = await saga.submit(account, "a slow lighthouse")

                async def one_running() -> bool:
                    g = await saga.get(account, running.id)
                    return g.status == pb.GENERATION_STATUS_RUNNING

                await eventually(one_running, 10, what="the first generation running")
            first.stop()  # SIGKILL: no lease released, no provider job survives

        with generation_process("second", tmp_path, env, local_provider_latency_s="0") as (
            _,
            address,
        ):
            await eventually(functools.partial(_serving, address), 30, what="second process")
            async with channel(address) as ch:
                saga = SagaClients(generation_pb2_grpc.GenerationServiceStub(ch), credits)  # type: ignore[arg-type]
                lost = await saga.settled(account, running.id, within_s=30)
                done = await saga.settled(account, queued.id, within_s=30)

        # The running job died with the local provider's process: a provider fault, rolled back.
        assert lost.status == pb.GENERATION_STATUS_FAILED
        assert lost.failure.fault == "provider"
        assert lost.credits_state == pb.CREDITS_STATE_ROLLED_BACK
        # The queued one had never reached a provider: it runs on the second process.
        assert done.status == pb.GENERATION_STATUS_SUCCEEDED
        assert done.credits_state == pb.CREDITS_STATE_CONFIRMED
        await ledger_becomes(
            credits,
            account,
            lost.id,
            [f"frozen:{lost.id}", f"rolled_back:{lost.id}"],  # type: ignore[arg-type]
        )
        await ledger_becomes(
            credits,
            account,
            done.id,
            [f"frozen:{done.id}", f"confirmed:{done.id}"],  # type: ignore[arg-type]
        )
