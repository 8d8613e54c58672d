"""The one interface every provider adapter implements, and the names of the adapters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.job import JobStatus, ProviderJob, WebhookUpdate

# The adapters a catalogue may name; a model whose adapter is not built yet is listed but cannot
# run, so a catalogue can be prepared before its adapter ships.
ADAPTER_NAMES = frozenset({"local", "replicate", "fal", "openai", "gemini", "music"})


class Provider(Protocol):
    """A generation provider. Calls raise ProviderError subclasses; statuses carry them."""

    name: str

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        """Starts a job with validated params (defaults filled in); returns its provider job id."""
        ...

    async def poll(self, job: ProviderJob) -> JobStatus:
        """The job's normalised status now."""
        ...

    async def cancel(self, job: ProviderJob) -> None:
        """Asks the provider to stop the job; safe on a finished or unknown job."""
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        """Verifies and reads a provider callback; WebhookRejected when it is not genuine."""
        ...
