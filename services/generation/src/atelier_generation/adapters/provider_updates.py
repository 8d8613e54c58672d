"""The `provider_updates` table: what providers' verified callbacks said of their jobs.

A callback only records news here and notifies; the generation's driver, under its lease, reads
it as it reads a poll's answer. Repeats and stale news change nothing: progress only rises,
a queued job never goes back from running, and a terminal state is final.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from atelier_generation.providers.errors import Fault, ProviderError
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob, ProviderOutput
from atelier_runtime.db import DbConnection, DbPool

# NOTIFY channel whose payload is the generation id a callback brought news of.
CHANNEL = "atelier_generation_webhooks"
_TERMINAL = "('succeeded', 'failed', 'canceled')"


class RecordedError(ProviderError):
    """A provider failure as a callback reported it, classified as the adapter classified it."""

    def __init__(self, code: str, message: str, fault: Fault, *, provider: str) -> None:
        super().__init__(message, provider=provider)
        self.code = code
        self.fault = fault


async def record(
    conn: DbConnection, generation_id: str, job: ProviderJob, status: JobStatus
) -> bool:
    """Keeps the news if it is newer than what is known, and notifies the drivers at commit;
    False when it changed nothing (a repeat, older progress, or the job had ended)."""
    changed = await conn.fetchval(
        f"""
        INSERT INTO provider_updates AS u
            (provider, job_id, generation_id, state, progress, outputs, error)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)
        ON CONFLICT (provider, job_id) DO UPDATE SET
            state = CASE WHEN excluded.state IN {_TERMINAL} OR u.state = 'queued'
                         THEN excluded.state ELSE u.state END,
            progress = GREATEST(u.progress, excluded.progress),
            outputs = excluded.outputs, error = excluded.error, received_at = now()
        WHERE u.state NOT IN {_TERMINAL}
          AND (excluded.state IN {_TERMINAL} OR excluded.progress > u.progress
               OR (u.state = 'queued' AND excluded.state = 'running'))
        RETURNING true
        """,
        job.provider, job.job_id, generation_id, status.state.value,
        max(0, min(100, status.progress)), json.dumps([_output_json(o) for o in status.outputs]),
        None if status.error is None else json.dumps(_error_json(status.error)),
    )  # fmt: skip
    if changed:
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, generation_id)
    return bool(changed)


async def latest(conn: DbConnection | DbPool, job: ProviderJob) -> JobStatus | None:
    """What callbacks last said of `job`; None when none came."""
    row = await conn.fetchrow(
        "SELECT state, progress, outputs, error FROM provider_updates"
        " WHERE provider = $1 AND job_id = $2",
        job.provider,
        job.job_id,
    )
    if row is None:
        return None
    error = row["error"]
    return JobStatus(
        JobState(row["state"]),
        row["progress"],
        tuple(_output(o) for o in json.loads(row["outputs"])),
        None if error is None else _error(json.loads(error), job.provider),
        detail="webhook",
    )


def _output_json(output: ProviderOutput) -> dict[str, Any]:
    expires = None if output.expires_at is None else output.expires_at.isoformat()
    return {"url": output.url, "content_type": output.content_type, "expires_at": expires}


def _output(value: dict[str, Any]) -> ProviderOutput:
    expires = value.get("expires_at")
    return ProviderOutput(
        value["url"],
        value["content_type"],
        None if expires is None else datetime.fromisoformat(expires),
    )


def _error_json(error: ProviderError) -> dict[str, str]:
    return {"code": error.code, "message": error.message[:500], "fault": error.fault.value}


def _error(value: dict[str, str], provider: str) -> ProviderError:
    return RecordedError(value["code"], value["message"], Fault(value["fault"]), provider=provider)
