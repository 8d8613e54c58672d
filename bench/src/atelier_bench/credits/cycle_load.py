"""The load: N concurrent client loops, each running freeze→confirm cycles until a deadline."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import grpc

from atelier_bench.credits.ledger_calls import one_cycle
from atelier_bench.credits.stats import Slice

if TYPE_CHECKING:
    from atelier_bench.credits.ledger_calls import Stub


@dataclass
class _Tally:
    """What every client loop of one slice adds to."""

    cycles: int = 0
    errors: int = 0
    latencies_s: list[float] = field(default_factory=list)
    first_error: str = ""

    def failed(self, error: grpc.aio.AioRpcError) -> None:
        self.errors += 1
        if not self.first_error:
            self.first_error = f"{error.code().name}: {error.details()}"


async def run_cycles(
    stub: Stub,
    accounts: Sequence[str],
    *,
    clients: int,
    duration_s: float,
    id_prefix: str,
    seed: int,
) -> Slice:
    """Runs `clients` loops for `duration_s`; cycles in flight at the deadline finish and count.

    The elapsed time runs until the last loop ends, so those late cycles are paid for.
    """
    tally = _Tally()
    started = time.perf_counter()
    deadline = started + duration_s
    await asyncio.gather(
        *(
            _client_loop(
                stub,
                accounts,
                deadline,
                f"{id_prefix}-c{index}",
                random.Random(seed + index),
                tally,
            )
            for index in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    return Slice(tally.cycles, tally.errors, elapsed, tally.latencies_s, tally.first_error)


async def _client_loop(
    stub: Stub,
    accounts: Sequence[str],
    deadline: float,
    id_prefix: str,
    rng: random.Random,
    tally: _Tally,
) -> None:
    number = 0
    while time.perf_counter() < deadline:
        number += 1
        account_id = accounts[rng.randrange(len(accounts))]
        began = time.perf_counter()
        try:
            await one_cycle(stub, account_id, f"{id_prefix}-{number}")
        except grpc.aio.AioRpcError as error:
            tally.failed(error)
            continue
        tally.latencies_s.append(time.perf_counter() - began)
        tally.cycles += 1
