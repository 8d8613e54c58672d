"""Scripted providers and a catalogue whose image model runs on remote adapters, for tests of
the router, the registry and the saga over them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import yaml
from services.generation.tests.unit.scripted_provider import ScriptedProvider

from atelier_generation.adapters.catalogue_file import load_catalogue, parse_catalogue
from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.providers.errors import ProviderError
from atelier_generation.providers.job import JobState, JobStatus, ProviderOutput
from atelier_generation.providers.provider import ADAPTER_NAMES, Provider
from atelier_generation.providers.remote_config import RemoteProviderConfig

OUTPUT = ProviderOutput(
    "https://cdn.example/out.png", "image/png", datetime(2030, 1, 1, tzinfo=UTC)
)
DONE = JobStatus(JobState.SUCCEEDED, 100, (OUTPUT,))


@functools.cache
def routed_catalogue() -> Catalogue:
    """The shipped catalogue with text-to-image's model on `replicate` (2 credits an image),
    falling back to `spare` on `fal`, which would cost 5."""
    document: dict[str, Any] = load_catalogue(None, ADAPTER_NAMES).model_dump(
        mode="json", exclude_defaults=True
    )
    tool = next(t for t in document["tools"] if t["id"] == "text-to-image")
    chosen = tool["models"][0]
    spare = {**chosen, "id": "spare", "provider": "fal", "provider_model": "fal-ai/flux"}
    spare["cost"] = {"per_output": 5}
    chosen.update(provider="replicate", provider_model="owner/image", fallbacks=["spare"])
    tool["models"] = [chosen, spare]
    return parse_catalogue(yaml.safe_dump(document), "routed.yaml", ADAPTER_NAMES)


def provider(name: str, submits: Sequence[ProviderError | None] = ()) -> ScriptedProvider:
    return ScriptedProvider([DONE], name=name, submits=submits)


@dataclass
class Factory:
    """Builds scripted providers and remembers what each was built from."""

    polls: Sequence[JobStatus] = (JobStatus(JobState.RUNNING),)
    built: list[tuple[RemoteProviderConfig, httpx.AsyncClient]] = field(default_factory=list)

    def __call__(
        self, config: RemoteProviderConfig, http: httpx.AsyncClient, kit: object = None
    ) -> Provider:
        self.built.append((config, http))
        return ScriptedProvider(self.polls, name=config.name)
