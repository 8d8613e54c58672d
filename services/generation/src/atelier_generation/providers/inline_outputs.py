"""Outputs a provider returns inline (base64 images, a video that needs our key to download),
published as temporary URLs on a small file server of ours, like the local provider's own.

The media service copies them from there before they expire, exactly as it copies a provider's
CDN URL.
"""

from __future__ import annotations

import asyncio
import mimetypes
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
