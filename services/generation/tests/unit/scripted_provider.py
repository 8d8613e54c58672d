"""A provider that answers submits and polls from a script, for tests of the SDK and the router."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import ProviderError, WebhookRejected
from atelier_generation.providers.job import JobStatus, ProviderJob, WebhookUpdate


class ScriptedProvider:
    """Each poll takes the next step: a status, or an error to raise; the last step repeats.
    Each submit takes the next of `submits`, an error to raise or None to accept it; once they
    are spent, submits are accepted. `submitted` lists the job ids it accepted (what we pay)."""

    def __init__(
        self,
        steps: Sequence[JobStatus | ProviderError],
        *,
        name: str = "scripted",
        submits: Sequence[ProviderError | None] = (),
    ) -> None:
        self.name = name
        self._steps = list(steps)
        self._submits = list(submits)
        self.calls: list[str] = []
        self.submitted: list[str] = []
        self.models: list[str] = []

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        self.calls.append("submit")
        refusal = self._submits.pop(0) if self._submits else None
        if refusal is not None:
            raise refusal
        job_id = f"job-{len(self.submitted) + 1}"
        self.submitted.append(job_id)
        self.models.append(model.provider_model)
        return ProviderJob(self.name, job_id)

    async def poll(self, job: ProviderJob) -> JobStatus:
        self.calls.append("poll")
        step = self._steps.pop(0) if len(self._steps) > 1 else self._steps[0]
        if isinstance(step, ProviderError):
            raise step
        return step

    async def cancel(self, job: ProviderJob) -> None:
        self.calls.append("cancel")

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        raise WebhookRejected("scripted providers send no webhooks")
