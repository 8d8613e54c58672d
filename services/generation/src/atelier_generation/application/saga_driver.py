"""Drives leased generations step by step, renewing the lease; a pool of loops claims work.

One replica drives a generation at a time: a driver claims it with a lease in PostgreSQL,
renews the lease while it works, and stops when the lease is lost. A replica that dies leaves
its leases to expire, and another one takes its generations over from their record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from atelier_generation.adapters import generation_table as table
from atelier_generation.adapters.credits_client import InsufficientCredits
from atelier_generation.application.saga_config import SagaConfig
from atelier_generation.application.saga_record import LeaseLost, SagaRecord, StaleRecord
from atelier_generation.application.saga_steps import SagaSteps
from atelier_generation.domain.generation import Generation, Step, next_step

_log = logging.getLogger(__name__)
# Steps a cancel interrupts: whatever they wait for (a slot, the provider) no longer matters.
_WAITS = frozenset({Step.FREEZE, Step.ADMIT, Step.SUBMIT, Step.WAIT})


class SagaDriver:
    def __init__(
        self, record: SagaRecord, steps: SagaSteps, config: SagaConfig, owner: str
    ) -> None:
        self._record = record
        self._steps = steps
        self._config = config
        self.owner = owner

    async def claim(self) -> Generation | None:
        return await table.claim(
            self._record.pool,
            self.owner,
            self._config.lease_s,
            self._config.max_running_per_account,
            self._config.plan_priority,
        )

    async def step(self, g: Generation) -> Generation:
        """One step of a generation this driver holds; InsufficientCredits ends it (recorded)."""
        try:
            return await self._steps.run(next_step(g), g)
        except InsufficientCredits:
            loaded = await self._record.load(g.id)
            assert loaded is not None
            return loaded

    async def drive(self, g: Generation) -> None:
        """Steps `g` until it is settled or must wait for a slot, then gives the lease back
        (and the provider slot its job held in this process, whoever drives it next)."""
        try:
            await self._drive(g)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._steps.release(g))

    async def _drive(self, g: Generation) -> None:
        pause = 0.0
        try:
            async with self._renewing(g.id) as watch:
                while next_step(g) is not Step.DONE:
                    moved = await watch.run(next_step(g), self.step(g))
                    if moved is None or moved.version == g.version:
                        g = await self._reload(g.id)
                        if moved is not None and next_step(g) is Step.ADMIT:
                            break  # no free slot: wait queued, offered again when one frees
                        continue
                    g = moved
        except LeaseLost:
            _log.warning(
                "lease lost; another replica drives the generation", extra={"generation": g.id}
            )
            return
        except asyncio.CancelledError:
            # Stopping: hand the generation over now rather than when the lease expires.
            with contextlib.suppress(Exception):
                await asyncio.shield(table.release(self._record.pool, g.id, self.owner))
            raise
        except Exception:
            _log.exception("saga step failed; retrying later", extra={"generation": g.id})
            pause = self._config.retry_after_s
        await table.release(self._record.pool, g.id, self.owner, after_s=pause)

    async def _reload(self, generation_id: str) -> Generation:
        g = await self._record.load(generation_id)
        assert g is not None
        return g

    @contextlib.asynccontextmanager
    async def _renewing(self, generation_id: str) -> AsyncIterator[_StepWatch]:
        watch = _StepWatch()
        renewal = asyncio.create_task(self._renew(generation_id, watch))
        try:
            yield watch
        finally:
            renewal.cancel()
            await asyncio.gather(renewal, return_exceptions=True)
        if watch.lost:
            raise LeaseLost(generation_id)

    async def _renew(self, generation_id: str, watch: _StepWatch) -> None:
        """Every third of the lease: renew it, and interrupt a step the account canceled."""
        pool = self._record.pool
        while True:
            await asyncio.sleep(self._config.lease_s / 3)
            if not await table.renew(pool, generation_id, self.owner, self._config.lease_s):
                watch.lost = True
                watch.interrupt()
                return
            g = await table.load(pool, generation_id)
            if g is not None and next_step(g) is Step.CANCEL and watch.step in _WAITS:
                watch.interrupt()


class _StepWatch:
    """Runs one step as a task the lease renewal can interrupt (lease lost, cancel asked)."""

    def __init__(self) -> None:
        self.lost = False
        self.step: Step | None = None
        self._task: asyncio.Task[Generation] | None = None

    async def run(self, step: Step, work: Coroutine[Any, Any, Generation]) -> Generation | None:
        if self.lost:
            work.close()
            raise LeaseLost("lost")
        self.step = step
        self._task = asyncio.ensure_future(work)
        try:
            return await asyncio.shield(self._task)
        except asyncio.CancelledError:
            if not self._task.cancelled():
                self._task.cancel()
                raise
            if self.lost:
                raise LeaseLost("lost") from None
            return None  # interrupted for a cancel: decide again on the record
        except StaleRecord:
            return None

    def interrupt(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


class SagaWorkers:
    """`count` loops, each claiming the oldest generation it may drive and driving it.

    Idle, only the first loop looks for work on a timer (work another replica left, a lease
    that expired); the others sleep until woken — by a submit in this process, a provider's
    callback, or a loop that found work (where there is one there may be more) — so an idle
    process asks the database twice a second, not twice a second per loop.
    """

    # An idle loop other than the first still looks now and then, in case a wake was missed.
    IDLE_LOOK_FACTOR = 20

    def __init__(self, driver: SagaDriver, *, count: int, poll_s: float) -> None:
        self._driver = driver
        self._count = count
        self._poll_s = poll_s
        self.wake = asyncio.Event()

    async def run(self) -> None:
        await asyncio.gather(*(self._loop(index) for index in range(self._count)))

    async def _loop(self, index: int) -> None:
        idle_s = self._poll_s if index == 0 else self._poll_s * self.IDLE_LOOK_FACTOR
        while True:
            try:
                g = await self._driver.claim()
            except Exception:
                _log.exception("claiming a generation failed")
                g = None
            if g is not None:
                self.wake.set()
                await self._driver.drive(g)
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), idle_s)
