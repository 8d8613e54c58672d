"""Outputs a provider returns inline (base64 images, a video that needs our key to download),
published as temporary URLs on a small file server of ours, like the local provider's own.

The media service copies them from there before they expire, exactly as it copies a provider's
CDN URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from atelier_generation.providers.job import ProviderOutput
from atelier_generation.providers.local.file_server import FileServer
from atelier_generation.providers.local.file_store import OutputFiles

_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4"}


def suffix_for(content_type: str) -> str:
    return _SUFFIXES.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"


class InlineOutputs:
    """Publishes bytes as files behind expiring URLs."""

    def __init__(self, files: OutputFiles, server: FileServer) -> None:
        self._files = files
        self._server = server

    @property
    def base_url(self) -> str:
        return self._server.base_url

    async def publish(self, data: bytes, content_type: str) -> ProviderOutput:
        path = self._files.new_path(suffix_for(content_type))
        await asyncio.to_thread(path.write_bytes, data)
        return self._add(path, content_type)

    async def publish_copy(self, source: Path, content_type: str) -> ProviderOutput:
        """Publishes a copy of `source` (which stays where it is)."""
        path = self._files.new_path(suffix_for(content_type))
        await asyncio.to_thread(path.write_bytes, await asyncio.to_thread(source.read_bytes))
        return self._add(path, content_type)

    def _add(self, path: Path, content_type: str) -> ProviderOutput:
        stored = self._files.add(path, content_type)
        expires_at = datetime.fromtimestamp(stored.expires_at, UTC)
        return ProviderOutput(self._server.url_for(stored), content_type, expires_at)


@dataclass(frozen=True)
class InlineOutputsConfig:
    """Where inline outputs are served from, and for how long."""

    url_ttl_s: float = 3600.0
    host: str = "127.0.0.1"
    port: int = 0
    # None: a temporary folder, deleted when the server stops.
    folder: Path | None = None
    max_bytes: int = 400 * 1024 * 1024


@contextlib.asynccontextmanager
async def running_inline_outputs(config: InlineOutputsConfig) -> AsyncIterator[InlineOutputs]:
    """The file server, running until the block ends."""
    async with contextlib.AsyncExitStack() as stack:
        if config.folder is None:
            folder = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="atelier-inline-"))
            )
        else:
            folder = config.folder
            folder.mkdir(parents=True, exist_ok=True)
        files = OutputFiles(folder, ttl_s=config.url_ttl_s, max_bytes=config.max_bytes)
        server = FileServer(files, config.host, config.port)
        await server.start()
        stack.push_async_callback(server.close)
        yield InlineOutputs(files, server)
