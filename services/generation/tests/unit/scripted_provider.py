"""A provider that answers polls from a script, for tests of the SDK's waiting loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import ProviderError, WebhookRejected
from atelier_generation.providers.job import JobStatus, ProviderJob, WebhookUpdate


class ScriptedProvider:
    """Each poll takes the next step: a status, or an error to raise; the last step repeats."""

    name = "scripted"

    def __init__(self, steps: Sequence[JobStatus | ProviderError]) -> None:
        self._steps = list(steps)
        self.calls: list[str] = []

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        self.calls.append("submit")
        return ProviderJob(self.name, "job-1")

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
