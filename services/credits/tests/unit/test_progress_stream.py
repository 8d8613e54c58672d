"""A long job's progress as stream messages: newest progress only, the outcome last, no orphan job."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from atelier_credits.api.progress_stream import progress_then_result

Report = Callable[[int], None]


def as_progress(done: int) -> str:
    return f"progress {done}"


def as_result(result: str) -> str:
    return f"result {result}"


async def collect(job: Callable[[Report], object]) -> list[str]:
    stream = progress_then_result(job, as_progress, as_result)  # type: ignore[arg-type]
    return [message async for message in stream]


async def test_a_burst_of_progress_arrives_as_its_newest_value_then_the_result() -> None:
    async def job(report: Report) -> str:
        for done in range(1, 101):
            report(done)
        return "done"

    assert await collect(job) == ["progress 100", "result done"]


async def test_progress_reported_while_the_job_waits_arrives_before_it_ends() -> None:
    step = asyncio.Event()

    async def job(report: Report) -> str:
        report(1)
        await step.wait()
        report(2)
        return "done"

    stream = progress_then_result(job, as_progress, as_result, interval_s=0)
    first = await anext(stream)
    step.set()

    assert [first, *[message async for message in stream]] == [
        "progress 1",
        "progress 2",
        "result done",
    ]


async def test_a_failing_job_fails_the_stream_after_the_progress_already_sent() -> None:
    step = asyncio.Event()

    async def job(report: Report) -> str:
        report(7)
        await step.wait()
        raise LookupError("the log is gone")

    stream = progress_then_result(job, as_progress, as_result)
    first = await anext(stream)
    step.set()

    assert first == "progress 7"
    with pytest.raises(LookupError, match="the log is gone"):
        await anext(stream)


async def test_a_caller_that_goes_away_cancels_the_job() -> None:
    ended = asyncio.Event()

    async def job(report: Report) -> str:
        report(1)
        try:
            await asyncio.Event().wait()
        finally:
            ended.set()
        return "never"

    stream = progress_then_result(job, as_progress, as_result)
    assert await anext(stream) == "progress 1"
    await stream.aclose()

    assert ended.is_set()
