"""Building remote adapters against their fakes in tests: a catalogue model, a config, a client."""

from __future__ import annotations

from typing import Any

import httpx

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.job import JobStatus
from atelier_generation.providers.provider import Provider
from atelier_testing.polling import eventually


def image_model(provider: str, provider_model: str, *, max_duration_s: int = 60) -> Model:
    return Model.model_validate(
        {
            "id": f"{provider}-image",
            "label": "Remote image",
            "provider": provider,
            "provider_model": provider_model,
            "max_duration_s": max_duration_s,
            "outputs": {"kind": "image", "content_type": "image/png"},
            "cost": {"flat": 1},
            "input_schema": {"type": "object", "properties": {"prompt": {"type": "string"}}},
        }
    )


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(trust_env=False)


async def download(url: str) -> httpx.Response:
    async with http_client() as client:
        return await client.get(url)


async def status_when(
    provider: Provider, job: Any, wanted: Any, *, what: str = "status", within_s: float = 10.0
) -> JobStatus:
    """Polls until `wanted(status)` holds; returns that status."""
    seen: list[JobStatus] = []

    async def check() -> bool:
        seen.append(await provider.poll(job))
        return bool(wanted(seen[-1]))

    await eventually(check, within_s, what=what)
    return seen[-1]


async def finished(provider: Provider, job: Any) -> JobStatus:
    """The job's status once it ended (succeeded, failed or canceled)."""
    return await status_when(
        provider, job, lambda s: s.state.terminal, what=f"{job} ended", within_s=30.0
    )


def is_png(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n")
