"""The built-in `local` provider: no key, real files, staged progress, injectable failures.

It behaves like a remote provider seen through the SDK: a submit returns a job id at once, the
job moves from queued through running (progress steps) to succeeded, and its outputs wait at
temporary URLs on the provider's own small HTTP server until they expire.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atelier_generation.domain.catalogue import Model
from atelier_generation.domain.plan_priority import Priority
from atelier_generation.providers.completion import PollSchedule
from atelier_generation.providers.errors import (
    ContentPolicy,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    WebhookRejected,
)
from atelier_generation.providers.input_fetch import InputFetcher
from atelier_generation.providers.job import (
    JobState,
    JobStatus,
    ProviderJob,
    ProviderOutput,
    WebhookUpdate,
)
from atelier_generation.providers.local.faults import AT_SUBMIT, InjectedFault, injected_fault
from atelier_generation.providers.local.file_server import FileServer
from atelier_generation.providers.local.file_store import OutputFiles, OutputTooLarge
from atelier_generation.providers.local.refusals import refusal_at_submit
from atelier_generation.providers.local.renderers import RENDERERS
from atelier_generation.providers.local.workshop import Workshop

NAME = "local"
_log = logging.getLogger(__name__)
# A fifth of the latency queued, the rest running through these progress steps, then the render.
_QUEUED_SHARE = 0.2
_STEPS = (5, 20, 35, 50, 65, 80)
_RENDERING = 90


@dataclass
class _Job:
    model: Model
    params: Mapping[str, Any]
    fault: InjectedFault | None
    status: JobStatus = field(default_factory=lambda: JobStatus(JobState.QUEUED))
    task: asyncio.Task[None] | None = None
    ended_at: float | None = None  # monotonic seconds

    def end(self, status: JobStatus) -> None:
        self.status = status
        self.ended_at = time.monotonic()


class LocalProvider:
    """Jobs run as tasks of this process; a restart loses them, as a provider outage would."""

    name = NAME
    # Its polls are lookups in this process's memory: asking often costs nothing and sees a
    # job's end within a few milliseconds (a remote provider is asked far less often).
    poll_schedule = PollSchedule(first_s=0.01, factor=1.5, longest_s=0.25)

    def __init__(
        self,
        files: OutputFiles,
        server: FileServer,
        fetcher: InputFetcher,
        *,
        latency_s: float,
        max_jobs: int = 64,
        renders_at_once: int = 2,
    ) -> None:
        self._files = files
        self._server = server
        self._fetcher = fetcher
        self._latency_s = latency_s
        self._max_jobs = max_jobs
        self._renders = asyncio.Semaphore(renders_at_once)
        self._jobs: dict[str, _Job] = {}

    @property
    def files_url(self) -> str:
        """Where its outputs are served, e.g. http://127.0.0.1:40123."""
        return self._server.base_url

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        self._forget_finished()
        fault = injected_fault(params)
        if fault in AT_SUBMIT:
            raise refusal_at_submit(fault)
        if model.provider_model not in RENDERERS:
            raise ProviderUnavailable(f"no local model {model.provider_model!r}", provider=NAME)
        if sum(not job.status.state.terminal for job in self._jobs.values()) >= self._max_jobs:
            raise RateLimited("too many jobs at once", provider=NAME, retry_after=1.0)
        job_id = f"local-{secrets.token_hex(12)}"
        job = _Job(model, dict(params), fault)
        self._jobs[job_id] = job
        job.task = asyncio.create_task(self._run(job), name=f"local-job-{job_id}")
        return ProviderJob(NAME, job_id)

    async def submit_with_priority(
        self, model: Model, params: Mapping[str, Any], priority: Priority
    ) -> ProviderJob:
        """Takes the hint and changes nothing: every local job starts at once, there is no
        queue of its own to reorder (the saga's claim order already put paid plans first)."""
        return await self.submit(model, params)

    async def poll(self, job: ProviderJob) -> JobStatus:
        known = self._jobs.get(job.job_id)
        if known is None:
            lost = ProviderUnavailable("unknown job (the local provider restarted?)", provider=NAME)
            return JobStatus(JobState.FAILED, error=lost)
        return known.status

    async def cancel(self, job: ProviderJob) -> None:
        known = self._jobs.get(job.job_id)
        if known is None or known.status.state.terminal:
            return
        known.end(replace(known.status, state=JobState.CANCELED))
        if known.task is not None:
            known.task.cancel()

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        raise WebhookRejected("the local provider sends no webhooks; its jobs are polled")

    async def close(self) -> None:
        """Stops every job still running (their files are discarded)."""
        tasks = [job.task for job in self._jobs.values() if job.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, job: _Job) -> None:
        await asyncio.sleep(self._latency_s * _QUEUED_SHARE)
        pause = self._latency_s * (1 - _QUEUED_SHARE) / len(_STEPS)
        for progress in _STEPS:
            job.status = JobStatus(JobState.RUNNING, progress)
            await asyncio.sleep(pause)
        if job.fault is InjectedFault.TIMEOUT:
            await asyncio.Event().wait()  # runs until canceled, like a stuck provider job
        if job.fault is InjectedFault.PROVIDER:
            return self._fail(job, ProviderUnavailable("injected provider failure", provider=NAME))
        if job.fault is InjectedFault.POLICY:
            return self._fail(
                job, ContentPolicy("refused by the content policy (injected)", provider=NAME)
            )
        job.status = JobStatus(JobState.RUNNING, _RENDERING)
        async with self._renders:
            await self._render(job)

    async def _render(self, job: _Job) -> None:
        shop = Workshop(self._files, self._fetcher)
        try:
            renderer = RENDERERS[job.model.provider_model]
            paths = await renderer.render(
                job.params, job.model.output_count(dict(job.params)), shop
            )
            outputs = tuple(self._publish(path, renderer.content_type) for path in paths)
            job.end(JobStatus(JobState.SUCCEEDED, 100, outputs))
        except ProviderError as error:
            self._fail(job, error)
        except OutputTooLarge as error:
            self._fail(job, ProviderUnavailable(str(error), provider=NAME))
        except Exception:
            _log.exception("local render failed", extra={"model": job.model.provider_model})
            self._fail(
                job, ProviderUnavailable("the local provider failed to render", provider=NAME)
            )
        finally:
            shop.discard()

    def _publish(self, path: Path, content_type: str) -> ProviderOutput:
        stored = self._files.add(path, content_type)
        expires_at = datetime.fromtimestamp(stored.expires_at, UTC)
        return ProviderOutput(self._server.url_for(stored), content_type, expires_at)

    def _fail(self, job: _Job, error: ProviderError) -> None:
        job.end(JobStatus(JobState.FAILED, job.status.progress, error=error))

    def _forget_finished(self) -> None:
        # An ended job is remembered as long as its outputs live, so a late poll still learns
        # how it ended (a failure's classification included), then forgotten.
        self._files.sweep()
        oldest = time.monotonic() - self._files.ttl_s
        ended = [
            job_id
            for job_id, job in self._jobs.items()
            if job.ended_at is not None and job.ended_at < oldest
        ]
        for job_id in ended:
            del self._jobs[job_id]
