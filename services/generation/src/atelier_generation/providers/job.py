"""What every provider adapter reports, in one shape whatever the provider's own."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from atelier_generation.providers.errors import ProviderError


class JobState(enum.StrEnum):
    """Normalised job status."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED)


@dataclass(frozen=True)
class ProviderJob:
    """A job submitted to a provider: the provider job id is what a restart resumes by."""

    provider: str
    job_id: str


@dataclass(frozen=True)
class ProviderOutput:
    """One file at the provider's temporary URL; media must copy it before `expires_at`."""

    url: str
    content_type: str
    expires_at: datetime | None


@dataclass(frozen=True)
class JobStatus:
    """A job's state at one poll: progress 0-100, outputs once succeeded, the error once failed."""

    state: JobState
    progress: int = 0
    outputs: tuple[ProviderOutput, ...] = ()
    error: ProviderError | None = None
    detail: str = field(default="", compare=False)


@dataclass(frozen=True)
class WebhookUpdate:
    """A provider callback, verified and normalised: which job, and its status now."""

    job_id: str
    status: JobStatus
