"""The router: every provider submit of the saga goes through it.

For one generation it tries the model's provider, then its fallbacks in order. On each it
waits for a job slot and a submit token, retries what is safe to retry, and records the
outcome in the provider's breaker. The rule that keeps us from paying twice: a submit is sent
again (here or to a fallback) only when it failed with a provider fault that cannot have
started a job (`may_retry`). A user's fault, or a failure after which a job may exist, ends
the routing with that error.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import (
    Fault,
    ProviderAuthFailed,
    ProviderError,
    ProviderFault,
    ProviderQuotaExceeded,
)
from atelier_generation.providers.job import ProviderJob
from atelier_generation.providers.priority import Priority, PrioritySubmit
from atelier_generation.providers.provider import Provider
from atelier_generation.providers.routing.backoff import Jitter, may_retry, retry_delay
from atelier_generation.providers.routing.breaker import BreakerState, CircuitBreaker, Clock
from atelier_generation.providers.routing.config import RouterConfig
from atelier_generation.providers.routing.metrics import RouterMetrics
from atelier_generation.providers.routing.rate import TokenBucket
from atelier_generation.providers.routing.slots import JobSlots

Sleep = Callable[[float], Awaitable[None]]
# Called just before a submit is sent, with the model it is sent for: the saga records the
# attempt there, so a process that dies during the call knows on resume that one was sent.
Sending = Callable[[Model], Awaitable[None]]
# Refusals that no retry fixes until someone acts (tops up the account, fixes the key).
_TRIPS = (ProviderQuotaExceeded, ProviderAuthFailed)


class ProviderNotAvailable(ProviderFault):
    """No adapter is configured for the model's provider (no key, or not built)."""

    code = "provider_not_available"


class ProviderCoolingDown(ProviderFault):
    """The provider failed too often lately and is left alone for its cool-down."""

    code = "provider_cooling_down"


@dataclass(frozen=True)
class Candidate:
    """A model to run a generation on, with the params as that model takes them."""

    model: Model
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Routed:
    """Where a generation runs: the model (the chosen one or a fallback) and its job."""

    model: Model
    job: ProviderJob


class ProviderRouter:
    def __init__(
        self,
        providers: Mapping[str, Provider],
        config: RouterConfig,
        *,
        metrics: RouterMetrics | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        jitter: Jitter = random.random,
    ) -> None:
        self._providers = providers
        self._config = config
        self._metrics = metrics or RouterMetrics()
        self._sleep = sleep
        self._jitter = jitter
        self._breakers = {n: CircuitBreaker(config.breaker, clock) for n in providers}
        self._slots = {n: JobSlots(config.limits_of(n).max_concurrent) for n in providers}
        self._buckets = {
            n: TokenBucket(config.limits_of(n).submits_per_s, config.limits_of(n).burst, clock)
            for n in providers
        }
        self._metrics.observe(self.states)

    def provider(self, name: str) -> Provider:
        return self._providers[name]

    def configured(self, name: str) -> bool:
        return name in self._providers

    def states(self) -> Iterable[tuple[str, BreakerState]]:
        return [(name, breaker.state) for name, breaker in self._breakers.items()]

    async def submit(
        self,
        holder: str,
        candidates: Sequence[Candidate],
        on_send: Sending | None = None,
        *,
        priority: Priority | None = None,
    ) -> Routed:
        """Submits `holder`'s generation to the first candidate that takes it; the job keeps a
        slot of its provider until `ended` or `release`. Raises the error that ended it."""
        errors: list[ProviderError] = []
        for candidate in candidates:
            name = candidate.model.provider
            if name not in self._providers:
                errors.append(ProviderNotAvailable(f"{name} is not configured", provider=name))
                continue
            try:
                job = await self._submit_to(name, holder, candidate, on_send, priority)
            except ProviderError as error:
                if not may_retry(error):
                    raise
                errors.append(error)
                continue
            if candidate is not candidates[0]:
                self._metrics.fell_back(candidates[0].model.provider, name)
            return Routed(candidate.model, job)
        raise _worst(errors)

    def resumed(self, holder: str, provider: str) -> None:
        """A job recorded by an earlier driver (or process) is being waited on here."""
        if provider in self._slots:
            self._slots[provider].occupy(holder)

    async def ended(self, holder: str, provider: str, error: ProviderError | None) -> None:
        """A job ended: its outcome counts for its provider's health, its slot is freed."""
        if provider in self._breakers:
            self._judge(provider, error)
        await self.release(holder)

    async def release(self, holder: str) -> None:
        """Frees the holder's slot without a verdict (this process stopped driving it)."""
        for slots in self._slots.values():
            await slots.release(holder)

    async def _submit_to(
        self,
        name: str,
        holder: str,
        candidate: Candidate,
        on_send: Sending | None,
        priority: Priority | None,
    ) -> ProviderJob:
        provider = self._providers[name]
        breaker = self._breakers[name]
        attempt = 0
        last: ProviderError | None = None
        while True:
            attempt += 1
            await self._slots[name].take(holder)
            if not breaker.allow():
                await self._slots[name].release(holder)
                # Opened by our own failures: the last of them says why.
                raise last or ProviderCoolingDown(f"{name} is cooling down", provider=name)
            try:
                await self._sleep(self._buckets[name].reserve())
                if on_send is not None:
                    await on_send(candidate.model)
                if priority is not None and isinstance(provider, PrioritySubmit):
                    job = await provider.submit_with_priority(
                        candidate.model, candidate.params, priority
                    )
                else:
                    job = await provider.submit(candidate.model, candidate.params)
            except ProviderError as error:
                await self._slots[name].release(holder)
                self._judge(name, error)
                delay = None if isinstance(error, _TRIPS) or not may_retry(error) else (
                    retry_delay(self._config.retry, attempt, error, self._jitter)
                )  # fmt: skip
                if delay is None:
                    raise
                last = error
                self._metrics.retried(name, error.code)
                await self._sleep(delay)
                continue
            except BaseException:
                await asyncio.shield(self._slots[name].release(holder))
                breaker.abandoned()
                raise
            breaker.succeeded()
            return job

    def _judge(self, name: str, error: ProviderError | None) -> None:
        breaker = self._breakers[name]
        before = breaker.state
        if error is None or error.fault is Fault.USER:
            breaker.succeeded()  # the provider answered as it should
        elif isinstance(error, _TRIPS):
            breaker.trip()
        else:
            breaker.failed()
        if before is not BreakerState.OPEN and breaker.state is BreakerState.OPEN:
            self._metrics.cooled_down(name)


def _worst(errors: Sequence[ProviderError]) -> ProviderError:
    """The error a generation fails with when no candidate took it: a provider's own answer
    says more than "not configured" or "cooling down"."""
    if not errors:
        return ProviderNotAvailable("no model to run on")
    answered = [e for e in errors if not isinstance(e, ProviderNotAvailable | ProviderCoolingDown)]
    return (answered or list(errors))[0]
