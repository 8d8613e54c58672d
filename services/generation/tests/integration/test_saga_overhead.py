"""What the saga adds to a generation: submit → succeeded with the local provider at zero
latency (record, freeze, admit, submit, poll, record the outputs), printed as p50 / p99."""

from __future__ import annotations

import statistics
import time

from services.generation.tests.integration.conftest import saga_clients

from atelier.generation.v1 import generation_pb2 as pb

JOBS = 50


async def test_submit_to_succeeded_overhead(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    async with saga_clients(
        database_url, nats_url, bus_prefix, credits_address, generation_provider_poll_first_s=0.01
    ) as saga:
        account = await saga.funded_account(10 * JOBS)
        await saga.settled(account, (await saga.submit(account)).id)  # warm up
        took_ms = []
        for n in range(JOBS):
            started = time.perf_counter()
            g = await saga.submit(account, f"a lighthouse {n}")
            while g.status != pb.GENERATION_STATUS_SUCCEEDED:
                g = await saga.get(account, g.id)
            took_ms.append((time.perf_counter() - started) * 1000)

    cuts = statistics.quantiles(took_ms, n=100)
    print(
        f"\nsaga overhead, submit → succeeded over {JOBS} jobs (local provider, zero latency, "
        f"first poll 10 ms): p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms"
    )
    assert cuts[49] < 2000
