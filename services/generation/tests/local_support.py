"""Running the local provider in tests, and checking the files it makes with its own ffmpeg."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from services.generation.tests.catalogue_samples import default_queries

from atelier_generation.providers.completion import (
    Completed,
    PollSchedule,
    call_and_wait_for_completion,
)
from atelier_generation.providers.job import JobStatus
from atelier_generation.providers.local.provider import LocalProvider
from atelier_generation.providers.local.running import LocalProviderConfig, running_local_provider
from atelier_generation.providers.local.video import ffmpeg

FAST_POLLS = PollSchedule(first_s=0.01, factor=1.0, longest_s=0.01)


@dataclass
class Progress:
    seen: list[JobStatus] = field(default_factory=list)

    async def __call__(self, status: JobStatus) -> None:
        self.seen.append(status)


@contextlib.asynccontextmanager
async def local_provider(**config: Any) -> AsyncIterator[LocalProvider]:
    async with running_local_provider(LocalProviderConfig(**{"latency_s": 0.0, **config})) as local:
        yield local


async def generate(
    local: LocalProvider, tool: str, params: dict[str, Any], progress: Progress | None = None
) -> Completed:
    """The tool's local model run on validated params (defaults filled in), as the saga will."""
    queries = default_queries()
    model = queries.tools()[[t.id for t in queries.tools()].index(tool)].model("local")
    checked = queries.estimate(tool, "local", params).params
    return await call_and_wait_for_completion(
        local, model, checked, progress or Progress(), schedule=FAST_POLLS
    )


async def download(url: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False) as client:
        return await client.get(url)


async def ffmpeg_reads(path: Path) -> tuple[bool, str]:
    """Whether ffmpeg decodes the whole file without an error, and what it says of its streams."""
    decode = await asyncio.create_subprocess_exec(
        ffmpeg(),
        "-v",
        "error",
        "-nostdin",
        "-i",
        str(path),
        "-f",
        "null",
        "-",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await decode.communicate()
    probe = await asyncio.create_subprocess_exec(
        ffmpeg(),
        "-hide_banner",
        "-nostdin",
        "-i",
        str(path),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, streams = await probe.communicate()
    return decode.returncode == 0 and not errors.strip(), streams.decode(errors="replace")
