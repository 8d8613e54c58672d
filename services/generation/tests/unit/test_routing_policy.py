"""The router's policies on their own, over a fake clock: backoff, cool-down, rate and slots."""

from __future__ import annotations

import asyncio

import pytest

from atelier_generation.providers.errors import (
    ContentPolicy,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.routing.backoff import may_retry, retry_delay
from atelier_generation.providers.routing.breaker import BreakerState, CircuitBreaker
from atelier_generation.providers.routing.config import BreakerPolicy, RetryPolicy
from atelier_generation.providers.routing.rate import TokenBucket
from atelier_generation.providers.routing.slots import JobSlots


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def state(breaker: CircuitBreaker) -> BreakerState:
    # Read through a call: mypy would otherwise keep the property narrowed between asserts.
    return breaker.state


RETRY = RetryPolicy(attempts=4, base_s=1.0, cap_s=10.0)
DOWN = ProviderUnavailable("503")


def test_backoff_doubles_up_to_its_cap_with_full_jitter() -> None:
    longest = [retry_delay(RETRY, n, DOWN, lambda: 0.9999) for n in (1, 2, 3)]
    assert longest == pytest.approx([1.0, 2.0, 4.0], rel=1e-3)
    assert retry_delay(RETRY, 2, DOWN, lambda: 0.5) == 1.0
    assert retry_delay(RetryPolicy(attempts=9, cap_s=10), 8, DOWN, lambda: 0.9999) == (
        pytest.approx(10.0, rel=1e-3)
    )


def test_backoff_waits_at_least_the_retry_after_the_provider_asked_for() -> None:
    limited = RateLimited("429", retry_after=7.0)

    assert retry_delay(RETRY, 1, limited, lambda: 0.0) == 7.0
    assert retry_delay(RETRY, 1, RateLimited("429", retry_after=None), lambda: 0.5) == 0.5


def test_a_retry_after_past_the_cap_leaves_the_provider_to_a_fallback() -> None:
    assert retry_delay(RETRY, 1, RateLimited("429", retry_after=11.0), lambda: 0.0) is None


def test_the_last_attempt_is_not_followed_by_a_wait() -> None:
    assert retry_delay(RETRY, 4, DOWN, lambda: 0.0) is None


def test_only_a_provider_fault_that_started_nothing_is_sent_again() -> None:
    assert may_retry(DOWN)
    assert may_retry(RateLimited("429"))
    assert not may_retry(ContentPolicy("nsfw"))
    assert not may_retry(ProviderTimeout("read timeout after sending"))
    assert not may_retry(ProviderUnavailable("504 from the gateway", may_have_started=True))


POLICY = BreakerPolicy(window_s=60, min_failures=3, failure_ratio=0.5, cooldown_s=30)


def test_the_breaker_opens_on_enough_failures_in_the_window() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(POLICY, clock)
    breaker.failed()
    breaker.failed()
    assert state(breaker) is BreakerState.CLOSED
    breaker.failed()

    assert state(breaker) is BreakerState.OPEN
    assert not breaker.allow()


def test_failures_that_are_a_small_share_of_the_calls_do_not_open_it() -> None:
    breaker = CircuitBreaker(POLICY, FakeClock())
    for _ in range(4):
        breaker.succeeded()
    for _ in range(3):
        breaker.failed()

    assert state(breaker) is BreakerState.CLOSED  # 3 of 7


def test_failures_older_than_the_window_are_forgotten() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(POLICY, clock)
    breaker.failed()
    breaker.failed()
    clock.now += 61
    breaker.failed()

    assert state(breaker) is BreakerState.CLOSED


def test_after_the_cool_down_one_probe_passes_and_its_success_closes_it() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(POLICY, clock)
    breaker.trip()
    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.1

    assert state(breaker) is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # one probe at a time
    breaker.succeeded()

    assert state(breaker) is BreakerState.CLOSED
    assert breaker.allow()
    breaker.failed()
    breaker.failed()
    assert state(breaker) is BreakerState.CLOSED  # the window started clean


def test_a_failed_probe_opens_it_for_another_cool_down() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(POLICY, clock)
    breaker.trip()
    clock.now += 30
    assert breaker.allow()
    breaker.failed()

    assert state(breaker) is BreakerState.OPEN
    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()


def test_an_abandoned_probe_lets_the_next_one_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(POLICY, clock)
    breaker.trip()
    clock.now += 30
    assert breaker.allow()
    breaker.abandoned()

    assert breaker.allow()


def test_a_late_answer_from_before_the_trip_changes_nothing() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(POLICY, clock)
    breaker.trip()
    breaker.succeeded()
    breaker.failed()

    assert state(breaker) is BreakerState.OPEN


def test_the_token_bucket_spends_its_burst_then_spaces_submits() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=2, clock=clock)

    assert [bucket.reserve() for _ in range(4)] == [0.0, 0.0, 0.5, 1.0]
    clock.now += 1.0
    assert bucket.reserve() == 0.5  # the queue drained by 2, one more waits its turn


def test_a_rate_of_zero_is_no_limit() -> None:
    bucket = TokenBucket(rate=0, burst=1, clock=FakeClock())

    assert [bucket.reserve() for _ in range(100)] == [0.0] * 100


async def test_slots_hold_a_submit_until_a_job_ends() -> None:
    slots = JobSlots(2)
    await slots.take("g1")
    await slots.take("g2")
    await slots.take("g1")  # the same generation again holds the one slot
    third = asyncio.create_task(slots.take("g3"))
    await asyncio.sleep(0)
    assert not third.done()

    await slots.release("g1")
    await third
    assert slots.held == 2


async def test_a_resumed_job_is_counted_without_waiting() -> None:
    slots = JobSlots(1)
    await slots.take("g1")
    slots.occupy("g2")

    assert slots.held == 2
    waiting = asyncio.create_task(slots.take("g3"))
    await slots.release("g1")
    await asyncio.sleep(0)
    assert not waiting.done()
    await slots.release("g2")
    await waiting
