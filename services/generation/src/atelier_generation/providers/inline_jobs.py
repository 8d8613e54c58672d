"""A synchronous provider call (one HTTP request that answers with the finished outputs) run as
a job the SDK can submit, poll and cancel.

`submit` writes the request to a journal and starts the call in the background, so the saga
records the job id before any money is spent. The call's result is journalled too (inline bytes
included), so a restarted process answers a poll from the journal and never pays for the same
job twice. Only a call in flight when the process died is sent again on the next poll: the
provider may have billed it, but keeps nothing we could fetch, so sending it again is the only
way to get the output. Without a journal folder, a restart loses its jobs (they fail as a
provider fault, and the saga retries elsewhere).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atelier_generation.providers import errors
from atelier_generation.providers.errors import ProviderError, ProviderUnavailable
from atelier_generation.providers.inline_outputs import InlineOutputs, suffix_for
from atelier_generation.providers.job import JobState, JobStatus, ProviderOutput

_log = logging.getLogger(__name__)
_JOB_ID = re.compile(r"^[a-z0-9_-]{1,40}-[0-9a-f]{24}$")  # no dots or slashes: a folder name
# Progress while the call runs, which tells nothing: creep towards this as the expected time
# passes, so a user sees life without a promise.
_CREEP_CEILING = 90
_ERRORS: dict[str, type[ProviderError]] = {
    cls.code: cls
    for cls in (
        errors.InvalidInput,
        errors.ContentPolicy,
        errors.UserFault,
        errors.ProviderUnavailable,
        errors.ProviderTimeout,
        errors.RateLimited,
        errors.ProviderQuotaExceeded,
        errors.ProviderAuthFailed,
        errors.ProviderFault,
    )
}


@dataclass(frozen=True)
class Produced:
    """What a call produced: inline files (bytes, content type) and provider-hosted links."""

    files: tuple[tuple[bytes, str], ...] = ()
    links: tuple[ProviderOutput, ...] = ()
    detail: str = ""


Call = Callable[[dict[str, Any]], Awaitable[Produced]]


@dataclass
class _Run:
    request: dict[str, Any]
    started: float = field(default_factory=time.monotonic)
    task: asyncio.Task[None] | None = None
    final: JobStatus | None = None


class InlineJobs:
    """Jobs of one provider whose work is one synchronous `call(request)`."""

    def __init__(
        self,
        provider: str,
        call: Call,
        outputs: InlineOutputs,
        *,
        journal: Path | None = None,
        expected_s: float = 20.0,
        keep_s: float = 24 * 3600.0,
    ) -> None:
        self._provider = provider
        self._call = call
        self._outputs = outputs
        self._journal = journal
        self._expected_s = expected_s
        self._keep_s = keep_s
        self._runs: dict[str, _Run] = {}
        if journal is not None:
            journal.mkdir(parents=True, exist_ok=True)

    async def start(self, request: dict[str, Any]) -> str:
        self._forget_old()
        job_id = f"{self._provider}-{secrets.token_hex(12)}"
        self._write(job_id, "request.json", {"request": request})
        self._launch(job_id, _Run(request))
        return job_id

    async def status(self, job_id: str) -> JobStatus:
        run = self._runs.get(job_id) or await self._recover(job_id)
        if run is None:
            lost = ProviderUnavailable(
                "unknown job (lost with a restart?)", provider=self._provider
            )
            return JobStatus(JobState.FAILED, error=lost)
        if run.final is not None:
            return run.final
        share = (time.monotonic() - run.started) / max(self._expected_s, 0.001)
        return JobStatus(JobState.RUNNING, min(_CREEP_CEILING, 5 + int(85 * share)))

    async def cancel(self, job_id: str) -> None:
        run = self._runs.get(job_id)
        if run is None or run.final is not None:
            return
        run.final = JobStatus(JobState.CANCELED)
        self._write(job_id, "result.json", {"state": "canceled"})
        if run.task is not None:
            run.task.cancel()

    async def close(self) -> None:
        tasks = [run.task for run in self._runs.values() if run.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _launch(self, job_id: str, run: _Run) -> None:
        self._runs[job_id] = run
        run.task = asyncio.create_task(self._run(job_id, run), name=f"inline-job-{job_id}")

    async def _run(self, job_id: str, run: _Run) -> None:
        try:
            produced = await self._call(run.request)
            outputs, names = await self._publish(job_id, produced)
            final = JobStatus(
                JobState.SUCCEEDED, 100, (*outputs, *produced.links), detail=produced.detail
            )
            record: dict[str, Any] = {
                "state": "succeeded",
                "files": names,
                "links": [_link_record(link) for link in produced.links],
                "detail": produced.detail,
            }
        except ProviderError as error:
            final = JobStatus(JobState.FAILED, error=error)
            record = {"state": "failed", "code": error.code, "message": error.message}
        except Exception:
            _log.exception("inline job failed", extra={"job": job_id})
            broken = ProviderUnavailable("the provider call failed", provider=self._provider)
            final = JobStatus(JobState.FAILED, error=broken)
            record = {"state": "failed", "code": broken.code, "message": broken.message}
        if run.final is None:  # a cancel that came first stands
            run.final = final
            self._write(job_id, "result.json", record)

    async def _publish(
        self, job_id: str, produced: Produced
    ) -> tuple[list[ProviderOutput], list[list[str]]]:
        """Publishes the inline files, journalling each first so a restart can publish it again."""
        outputs: list[ProviderOutput] = []
        names: list[list[str]] = []
        for number, (data, content_type) in enumerate(produced.files):
            if self._journal is None:
                outputs.append(await self._outputs.publish(data, content_type))
                continue
            path = self._folder(job_id) / f"out-{number}{suffix_for(content_type)}"
            await asyncio.to_thread(path.write_bytes, data)
            outputs.append(await self._outputs.publish_copy(path, content_type))
            names.append([path.name, content_type])
        return outputs, names

    async def _recover(self, job_id: str) -> _Run | None:
        """A job this process did not start: from the journal, after a restart."""
        if self._journal is None or not _JOB_ID.match(job_id):
            return None
        folder = self._folder(job_id)
        request = _read(folder / "request.json")
        if request is None:
            return None
        run = _Run(dict(request.get("request", {})))
        result = _read(folder / "result.json")
        if result is None:
            _log.warning("resending a call cut off by a restart", extra={"job": job_id})
            self._launch(job_id, run)
            return run
        try:
            run.final = await self._replayed(folder, result)
        except (OSError, KeyError, TypeError, ValueError):
            lost = ProviderUnavailable(
                "the journalled result is unreadable", provider=self._provider
            )
            run.final = JobStatus(JobState.FAILED, error=lost)
        self._runs[job_id] = run
        return run

    async def _replayed(self, folder: Path, result: dict[str, Any]) -> JobStatus:
        state = result.get("state")
        if state == "canceled":
            return JobStatus(JobState.CANCELED)
        if state == "succeeded":
            outputs = [
                await self._outputs.publish_copy(folder / str(name), str(ct))
                for name, ct in result.get("files", [])
            ]
            links = [_link_from(link) for link in result.get("links", [])]
            return JobStatus(
                JobState.SUCCEEDED, 100, (*outputs, *links), None, str(result.get("detail", ""))
            )
        error_type = _ERRORS.get(str(result.get("code")), ProviderUnavailable)
        return JobStatus(
            JobState.FAILED,
            error=error_type(str(result.get("message", "")), provider=self._provider),
        )

    def _folder(self, job_id: str) -> Path:
        assert self._journal is not None
        return self._journal / job_id

    def _write(self, job_id: str, name: str, record: dict[str, Any]) -> None:
        if self._journal is None:
            return
        folder = self._folder(job_id)
        folder.mkdir(exist_ok=True)
        partial = folder / f".{name}.partial"
        partial.write_text(json.dumps(record))
        partial.replace(folder / name)  # atomic: a reader sees the whole record or none

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - self._keep_s
        for job_id in [
            j for j, r in self._runs.items() if r.final is not None and r.started < cutoff
        ]:
            del self._runs[job_id]
        if self._journal is None:
            return
        oldest = time.time() - self._keep_s
        for folder in self._journal.iterdir():
            if folder.is_dir() and folder.stat().st_mtime < oldest:
                shutil.rmtree(folder, ignore_errors=True)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _link_record(link: ProviderOutput) -> dict[str, Any]:
    expires = link.expires_at.timestamp() if link.expires_at is not None else None
    return {"url": link.url, "content_type": link.content_type, "expires_at": expires}


def _link_from(record: dict[str, Any]) -> ProviderOutput:
    expires = record.get("expires_at")
    when = datetime.fromtimestamp(float(expires), UTC) if expires is not None else None
    return ProviderOutput(str(record["url"]), str(record["content_type"]), when)
