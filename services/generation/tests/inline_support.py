"""Running the OpenAI, Gemini and music adapters against their fakes in tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.completion import PollSchedule
from atelier_generation.providers.inline_outputs import InlineOutputs
from atelier_generation.providers.job import JobStatus
from atelier_generation.providers.local.file_server import FileServer
from atelier_generation.providers.local.file_store import OutputFiles

FAST_POLLS = PollSchedule(first_s=0.01, factor=1.0, longest_s=0.01)


@dataclass
class Clock:
    """Wall-clock seconds a test moves forward by hand, to expire URLs without waiting."""

    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Progress:
    seen: list[JobStatus] = field(default_factory=list)

    async def __call__(self, status: JobStatus) -> None:
        self.seen.append(status)


@contextlib.asynccontextmanager
async def inline_outputs(folder: Path, clock: Clock | None = None) -> AsyncIterator[InlineOutputs]:
    """Our file server for inline outputs, with URLs that live an hour of `clock` time."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    files = OutputFiles(folder, ttl_s=3600.0, max_bytes=50 * 1024 * 1024, clock=clock or Clock())
    server = FileServer(files)
    await server.start()
    try:
        yield InlineOutputs(files, server)
    finally:
        await server.close()


def model(
    provider: str,
    provider_model: str,
    *,
    kind: str = "image",
    content_type: str = "image/png",
    max_duration_s: int = 60,
) -> Model:
    return Model.model_validate(
        {
            "id": f"{provider}-test",
            "label": provider_model,
            "provider": provider,
            "provider_model": provider_model,
            "max_duration_s": max_duration_s,
            "outputs": {"kind": kind, "content_type": content_type},
            "cost": {"flat": 1},
            "input_schema": {"type": "object"},
        }
    )


async def download(url: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False) as client:
        return await client.get(url, headers=headers)


@contextlib.contextmanager
def closed_port() -> Iterator[str]:
    """A base URL where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


def params(**values: Any) -> dict[str, Any]:
    return values


def picture(fmt: str, colour: str = "red", size: tuple[int, int] = (8, 8)) -> bytes:
    """A small real image file: `fmt` is PNG, JPEG or WEBP."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size, colour).save(out, format=fmt)
    return out.getvalue()
