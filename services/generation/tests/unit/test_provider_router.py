"""The router over scripted providers, a fake clock and a recorded sleep: what it retries, what
it never sends twice, when it cools a provider down and when it falls back."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from services.generation.tests.catalogue_samples import default_queries
from services.generation.tests.unit.metric_points import points
from services.generation.tests.unit.scripted_provider import ScriptedProvider
from services.generation.tests.unit.test_routing_policy import FakeClock

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import (
    InvalidInput,
    ProviderError,
    ProviderQuotaExceeded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.job import JobState, JobStatus
from atelier_generation.providers.routing.breaker import BreakerState
from atelier_generation.providers.routing.config import (
    BreakerPolicy,
    ProviderLimits,
    RetryPolicy,
    RouterConfig,
)
from atelier_generation.providers.routing.metrics import RouterMetrics
from atelier_generation.providers.routing.router import (
    Candidate,
    ProviderCoolingDown,
    ProviderNotAvailable,
    ProviderRouter,
)

CONFIG = RouterConfig(
    retry=RetryPolicy(attempts=3, base_s=1.0, cap_s=20.0),
    breaker=BreakerPolicy(window_s=60, min_failures=3, failure_ratio=0.5, cooldown_s=30),
)


@functools.cache
def image_model() -> Model:
    return default_queries().tools()[0].models[0]


def on(provider: str, provider_model: str = "image") -> Candidate:
    model = image_model()
    changed = model.model_copy(update={"provider": provider, "provider_model": provider_model})
    assert isinstance(changed, Model)
    return Candidate(changed, {"prompt": "a lighthouse"})


def scripted(name: str, submits: Sequence[ProviderError | None] = ()) -> ScriptedProvider:
    return ScriptedProvider([JobStatus(JobState.RUNNING)], name=name, submits=submits)


class Harness:
    def __init__(self, *providers: ScriptedProvider, config: RouterConfig = CONFIG) -> None:
        self.clock = FakeClock()
        self.slept: list[float] = []
        self.router = ProviderRouter(
            {p.name: p for p in providers}, config,
            clock=self.clock, sleep=self._sleep, jitter=lambda: 0.5,
        )  # fmt: skip

    async def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.now += seconds

    def state(self, name: str) -> BreakerState:
        return dict(self.router.states())[name]


async def test_a_rate_limit_is_retried_after_its_retry_after_and_submitted_once() -> None:
    alpha = scripted("alpha", [RateLimited("429", retry_after=3.0), None])
    h = Harness(alpha)

    routed = await h.router.submit("g1", [on("alpha")])

    assert routed.job.job_id == "job-1"
    assert alpha.submitted == ["job-1"]
    assert h.slept == [0.0, 3.0, 0.0]  # pacing (unlimited), the hint, pacing


async def test_a_submit_that_may_have_started_a_job_is_never_sent_again() -> None:
    alpha = scripted("alpha", [ProviderTimeout("read timeout")])
    beta = scripted("beta")
    h = Harness(alpha, beta)

    with pytest.raises(ProviderTimeout):
        await h.router.submit("g1", [on("alpha"), on("beta")])

    assert alpha.calls == ["submit"]
    assert beta.calls == []  # a fallback would be a second job too


async def test_a_users_fault_is_neither_retried_nor_held_against_the_provider() -> None:
    alpha = scripted("alpha", [InvalidInput("bad size")] * 5)
    beta = scripted("beta")
    h = Harness(alpha, beta)

    for _ in range(5):
        with pytest.raises(InvalidInput):
            await h.router.submit("g1", [on("alpha"), on("beta")])

    assert alpha.calls == ["submit"] * 5
    assert beta.calls == []
    assert h.state("alpha") is BreakerState.CLOSED


async def test_a_failing_provider_cools_down_and_its_fallback_takes_over() -> None:
    alpha = scripted("alpha", [ProviderUnavailable("503")] * 3)
    beta = scripted("beta")
    h = Harness(alpha, beta)

    first = await h.router.submit("g1", [on("alpha"), on("beta", "beta-image")])
    assert h.state("alpha") is BreakerState.OPEN
    second = await h.router.submit("g2", [on("alpha"), on("beta", "beta-image")])

    assert (first.model.provider, first.model.provider_model) == ("beta", "beta-image")
    assert second.job.provider == "beta"
    assert alpha.calls == ["submit"] * 3  # the second generation never asked it
    assert beta.submitted == ["job-1", "job-2"]


async def test_after_its_cool_down_one_probe_closes_the_breaker_again() -> None:
    alpha = scripted("alpha", [ProviderUnavailable("503")] * 3)
    h = Harness(alpha)
    with pytest.raises(ProviderUnavailable):
        await h.router.submit("g1", [on("alpha")])
    with pytest.raises(ProviderCoolingDown):
        await h.router.submit("g2", [on("alpha")])

    h.clock.now += 30
    routed = await h.router.submit("g3", [on("alpha")])

    assert routed.job.provider == "alpha"
    assert h.state("alpha") is BreakerState.CLOSED


async def test_out_of_credits_cools_the_provider_at_once_without_a_retry() -> None:
    alpha = scripted("alpha", [ProviderQuotaExceeded("402")])
    h = Harness(alpha)

    with pytest.raises(ProviderQuotaExceeded):
        await h.router.submit("g1", [on("alpha")])

    assert alpha.calls == ["submit"]
    assert h.state("alpha") is BreakerState.OPEN


async def test_an_unconfigured_provider_is_skipped_for_its_fallback() -> None:
    beta = scripted("beta")
    h = Harness(beta)

    routed = await h.router.submit("g1", [on("replicate"), on("beta")])

    assert routed.job.provider == "beta"
    with pytest.raises(ProviderNotAvailable):
        await h.router.submit("g2", [on("replicate")])


async def test_a_retry_after_beyond_the_cap_goes_straight_to_the_fallback() -> None:
    alpha = scripted("alpha", [RateLimited("429", retry_after=600.0)])
    beta = scripted("beta")
    h = Harness(alpha, beta)

    routed = await h.router.submit("g1", [on("alpha"), on("beta")])

    assert routed.job.provider == "beta"
    assert alpha.calls == ["submit"]
    assert 600.0 not in h.slept


async def test_when_every_candidate_fails_the_providers_own_answer_is_raised() -> None:
    alpha = scripted("alpha", [ProviderUnavailable("503")] * 3)
    h = Harness(alpha)

    with pytest.raises(ProviderUnavailable):
        await h.router.submit("g1", [on("alpha"), on("gamma")])


async def test_a_job_holds_its_slot_until_it_ends() -> None:
    alpha = scripted("alpha")
    limits = {"alpha": ProviderLimits(max_concurrent=1)}
    h = Harness(alpha, config=RouterConfig(CONFIG.retry, CONFIG.breaker, limits))
    await h.router.submit("g1", [on("alpha")])

    second = asyncio.create_task(h.router.submit("g2", [on("alpha")]))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done()

    await h.router.ended("g1", "alpha", None)
    assert (await second).job.job_id == "job-2"


async def test_submits_are_paced_by_the_providers_rate() -> None:
    alpha = scripted("alpha")
    limits = {"alpha": ProviderLimits(submits_per_s=2.0, burst=1)}
    h = Harness(alpha, config=RouterConfig(CONFIG.retry, CONFIG.breaker, limits))

    for n in range(3):
        await h.router.submit(f"g{n}", [on("alpha")])

    assert h.slept == [0.0, 0.5, 0.5]


async def test_jobs_that_fail_at_the_provider_count_towards_its_cool_down() -> None:
    alpha = scripted("alpha")
    h = Harness(alpha)
    for n in range(3):
        await h.router.submit(f"g{n}", [on("alpha")])
        await h.router.ended(f"g{n}", "alpha", ProviderUnavailable("the job failed"))

    assert h.state("alpha") is BreakerState.OPEN


async def test_retries_fallbacks_and_cool_downs_are_counted() -> None:
    reader = InMemoryMetricReader()
    alpha = scripted(
        "alpha", [RateLimited("429", retry_after=1.0), *[ProviderUnavailable("503")] * 2]
    )
    beta = scripted("beta")
    router = ProviderRouter(
        {"alpha": alpha, "beta": beta}, CONFIG,
        metrics=RouterMetrics(MeterProvider(metric_readers=[reader])),
        clock=FakeClock(), sleep=_no_wait, jitter=lambda: 0.0,
    )  # fmt: skip

    await router.submit("g1", [on("alpha"), on("beta")])

    seen = points(reader)
    assert (
        seen[
            (
                "atelier.generation.provider.retries",
                (("error", "rate_limited"), ("provider", "alpha")),
            )
        ]
        == 1
    )
    assert (
        seen[
            (
                "atelier.generation.provider.retries",
                (("error", "provider_unavailable"), ("provider", "alpha")),
            )
        ]
        == 1
    )
    assert seen[("atelier.generation.provider.fallbacks", (("from", "alpha"), ("to", "beta")))] == 1
    assert seen[("atelier.generation.provider.cooldowns", (("provider", "alpha"),))] == 1
    assert seen[("atelier.generation.provider.cooldown_state", (("provider", "alpha"),))] == 2
    assert seen[("atelier.generation.provider.cooldown_state", (("provider", "beta"),))] == 0


async def _no_wait(_: float) -> None:
    return None
