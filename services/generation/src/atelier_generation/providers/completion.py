"""The SDK's one way to run a job: submit, then poll until it ends or its deadline passes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import (
    JobCanceled,
    ProviderFault,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob, ProviderOutput
from atelier_generation.providers.provider import Provider

_log = logging.getLogger(__name__)
ProgressCallback = Callable[[JobStatus], Awaitable[None]]
SubmittedCallback = Callable[[ProviderJob], Awaitable[None]]
# A cancel at the deadline is a courtesy to the provider; it must not hold the caller long.
CANCEL_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class PollSchedule:
    """Polls soon after submitting, then less and less often: most jobs end early or late."""

    first_s: float = 0.25
    factor: float = 1.5
    longest_s: float = 5.0

    def intervals(self) -> Iterator[float]:
        interval = self.first_s
        while True:
            yield interval
            interval = min(interval * self.factor, self.longest_s)


@dataclass(frozen=True)
class Completed:
    """A job that succeeded, with its outputs at the provider's temporary URLs."""

    job: ProviderJob
    outputs: tuple[ProviderOutput, ...]


async def call_and_wait_for_completion(
    provider: Provider,
    model: Model,
    params: Mapping[str, Any],
    on_progress: ProgressCallback,
    *,
    on_submitted: SubmittedCallback | None = None,
    schedule: PollSchedule = PollSchedule(),
) -> Completed:
    """Submits, then waits as `wait_for_completion` does. Raises the job's ProviderError on
    failure, ProviderTimeout past the model's max duration, JobCanceled if it was canceled.

    `on_submitted` sees the provider job id before the first poll, so a caller can record it
    and a restart can resume the job instead of paying for a second one.
    """
    job = await provider.submit(model, params)
    if on_submitted is not None:
        await on_submitted(job)
    return await wait_for_completion(provider, model, job, on_progress, schedule=schedule)


async def wait_for_completion(
    provider: Provider,
    model: Model,
    job: ProviderJob,
    on_progress: ProgressCallback,
    *,
    deadline_s: float | None = None,
    schedule: PollSchedule = PollSchedule(),
) -> Completed:
    """Polls `job` until it ends, calling `on_progress` on every change of state or progress.

    The deadline is the model's max duration unless given (a resumed job passes what is left);
    past it the job is canceled at the provider and ProviderTimeout raised.
    """
    limit = float(model.max_duration_s) if deadline_s is None else deadline_s
    try:
        async with asyncio.timeout(limit) as deadline:
            return await _poll_until_done(provider, job, on_progress, schedule)
    except TimeoutError:
        if not deadline.expired():
            raise
    await _cancel_quietly(provider, job)
    raise ProviderTimeout(f"no result within {limit:g} s", provider=job.provider)


async def _poll_until_done(
    provider: Provider, job: ProviderJob, on_progress: ProgressCallback, schedule: PollSchedule
) -> Completed:
    intervals = schedule.intervals()
    reported: tuple[JobState, int] | None = None
    while True:
        try:
            status = await provider.poll(job)
        except RateLimited as limited:
            await asyncio.sleep(max(next(intervals), limited.retry_after or 0.0))
            continue
        except ProviderFault as fault:
            # The job may well still run at the provider: keep asking until the deadline.
            _log.warning("poll failed; retrying", extra={"job": job.job_id, "error": fault.code})
            await asyncio.sleep(next(intervals))
            continue
        if (status.state, status.progress) != reported:
            reported = (status.state, status.progress)
            await on_progress(status)
        if status.state is JobState.SUCCEEDED:
            return Completed(job, status.outputs)
        if status.state is JobState.FAILED:
            raise status.error or ProviderUnavailable(
                "the job failed without a reason", provider=job.provider
            )
        if status.state is JobState.CANCELED:
            raise JobCanceled(f"job {job.job_id} was canceled")
        await asyncio.sleep(next(intervals))


async def _cancel_quietly(provider: Provider, job: ProviderJob) -> None:
    try:
        await asyncio.wait_for(provider.cancel(job), CANCEL_TIMEOUT_S)
    except Exception:
        _log.warning("cancel after the deadline failed", extra={"job": job.job_id}, exc_info=True)
