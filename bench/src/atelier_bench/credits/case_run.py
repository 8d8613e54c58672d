"""One case of the benchmark: grants, warm-up, then ours and the baseline in alternating slices.

The contenders take turns in slices of equal length, ours first in rounds 1, 3, … and the
baseline first in rounds 2, 4, …, so drift during the run (a growing account, a checkpoint, a
noisy neighbour) weighs on neither side more; each slice starts once every server is quiet.
Afterwards each side's own GetBalance must account for exactly the cycles the load completed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from atelier_bench.credits.cycle_load import run_cycles
from atelier_bench.credits.idle import wait_until_idle
from atelier_bench.credits.ledger_calls import CREDITS_PER_CYCLE, consumed_total, grant_each
from atelier_bench.credits.report import SIDES, CaseResult, LedgerCheck, Parameters
from atelier_bench.credits.servers import Contender
from atelier_bench.credits.stats import Slice, summarize

Say = Callable[[str], None]

# Setting up and checking are not measured, so they may use more concurrency than the load.
SETUP_CONCURRENCY = 32


@dataclass(frozen=True)
class Case:
    """A load shape: which accounts the clients pick from, and the ratio ours must reach."""

    name: str
    accounts: tuple[str, ...]
    target: float
    grant: int


class CaseRun:
    """Runs one case on every contender and collects its slices and ledger checks."""

    def __init__(
        self,
        case: Case,
        contenders: Sequence[Contender],
        parameters: Parameters,
        *,
        run_id: str,
        quiet_roots: Sequence[int],
        say: Say,
    ) -> None:
        self._case = case
        self._contenders = tuple(contenders)
        self._parameters = parameters
        self._run_id = run_id
        self._quiet_roots = quiet_roots
        self._say = say
        self._completed = {c.spec.side: 0 for c in self._contenders}

    async def run(self) -> CaseResult:
        await self._grant()
        for contender in self._contenders:
            await self._measure(contender, "warm", self._parameters.warmup_s, seed=0)
        slices = await self._alternate()
        checks = {c.spec.side: await self._check(c) for c in self._contenders}
        summaries = {side: summarize(measured) for side, measured in slices.items()}
        return CaseResult(
            self._case.name, len(self._case.accounts), self._case.target, summaries, checks
        )

    async def _grant(self) -> None:
        began = time.monotonic()
        for contender in self._contenders:
            await grant_each(
                contender.client(), self._case.accounts, self._case.grant, SETUP_CONCURRENCY
            )
        self._say(
            f"{self._case.name}: granted credits to {len(self._case.accounts)} accounts "
            f"on each side in {time.monotonic() - began:.1f} s"
        )

    async def _alternate(self) -> dict[str, list[Slice]]:
        rounds = self._parameters.rounds
        slices: dict[str, list[Slice]] = {side: [] for side in SIDES}
        for index in range(rounds):
            order = self._contenders if index % 2 == 0 else self._contenders[::-1]
            for contender in order:
                duration_s = self._parameters.duration_s / rounds
                measured = await self._measure(contender, f"r{index}", duration_s, seed=index + 1)
                slices[contender.spec.side].append(measured)
                self._say(
                    f"{self._case.name} round {index + 1}/{rounds} {contender.spec.side}: "
                    f"{measured.ops_per_s:.0f} ops/s, {measured.errors} errors"
                )
        return slices

    async def _measure(
        self, contender: Contender, label: str, duration_s: float, seed: int
    ) -> Slice:
        began = time.monotonic()
        if not await wait_until_idle(self._quiet_roots):
            self._say(
                f"servers still busy after {time.monotonic() - began:.0f} s; measuring anyway"
            )
        measured = await run_cycles(
            contender.client(),
            self._case.accounts,
            clients=self._parameters.clients,
            duration_s=duration_s,
            # Unique per run, case, side and slice: every cycle freezes under a new id.
            id_prefix=f"{self._run_id}-{self._case.name}-{contender.spec.side}-{label}",
            seed=seed,
        )
        self._completed[contender.spec.side] += measured.cycles
        return measured

    async def _check(self, contender: Contender) -> LedgerCheck:
        consumed = await consumed_total(contender.client(), self._case.accounts, SETUP_CONCURRENCY)
        return LedgerCheck(self._completed[contender.spec.side] * CREDITS_PER_CYCLE, consumed)
