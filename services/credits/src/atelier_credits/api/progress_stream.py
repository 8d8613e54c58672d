"""Runs a long job beside a streaming call and turns its progress callbacks into messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

ProgressT = TypeVar("ProgressT")
ResultT = TypeVar("ResultT")
MessageT = TypeVar("MessageT")

Job = Callable[[Callable[[ProgressT], None]], Awaitable[ResultT]]

# The caller redraws a bar: a few messages a second say as much as one per account would.
PROGRESS_INTERVAL_S = 0.2


class _Latest(Generic[ProgressT]):
    """Keeps only the newest progress: each one counts everything done so far."""

    def __init__(self) -> None:
        self.value: ProgressT | None = None
        self.changed = asyncio.Event()

    def report(self, progress: ProgressT) -> None:
        self.value = progress
        self.changed.set()

    def take(self) -> ProgressT | None:
        self.changed.clear()
        return self.value


async def progress_then_result(
    job: Job[ProgressT, ResultT],
    progress_message: Callable[[ProgressT], MessageT],
    result_message: Callable[[ResultT], MessageT],
    *,
    interval_s: float = PROGRESS_INTERVAL_S,
) -> AsyncGenerator[MessageT, None]:
    """Progress messages, at most one per `interval_s`, the final progress, then the result.

    If the job fails its exception propagates after the progress sent so far; if the caller goes
    away the job is cancelled with the call.
    """
    latest: _Latest[ProgressT] = _Latest()
    task = asyncio.ensure_future(job(latest.report))
    try:
        while not task.done():
            changed = asyncio.ensure_future(latest.changed.wait())
            await asyncio.wait({task, changed}, return_when=asyncio.FIRST_COMPLETED)
            changed.cancel()
            if latest.changed.is_set() and not task.done():
                yield progress_message(_known(latest.take()))
                await asyncio.wait({task}, timeout=interval_s)
        result = task.result()
        if latest.changed.is_set():
            yield progress_message(_known(latest.take()))
        yield result_message(result)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _known(progress: ProgressT | None) -> ProgressT:
    assert progress is not None  # `changed` is only ever set together with a value
    return progress
