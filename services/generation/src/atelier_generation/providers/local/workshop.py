"""What a renderer works with during one job: input files fetched, outputs written, all on disk
in the provider's folder and all removed at the end unless published."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from atelier_generation.providers.input_fetch import InputFetcher
from atelier_generation.providers.local import pictures
from atelier_generation.providers.local.file_store import OutputFiles


class Workshop:
    """One job's scratch space; `discard()` deletes whatever it wrote that was not published."""

    def __init__(self, files: OutputFiles, fetcher: InputFetcher) -> None:
        self._files = files
        self._fetcher = fetcher
        self._written: list[Path] = []

    def new_path(self, suffix: str) -> Path:
        path = self._files.new_path(suffix)
        self._written.append(path)
        return path

    async def save(self, data: bytes, suffix: str) -> Path:
        path = self.new_path(suffix)
        await asyncio.to_thread(path.write_bytes, data)
        return path

    async def save_png(self, picture: Image.Image) -> Path:
        return await self.save(await asyncio.to_thread(pictures.png, picture), ".png")

    async def fetch(self, params: Mapping[str, Any], field: str) -> bytes:
        return await self._fetcher.fetch(field, str(params[field]))

    async def fetch_image(self, params: Mapping[str, Any], field: str = "image_url") -> Image.Image:
        data = await self.fetch(params, field)
        return await asyncio.to_thread(pictures.decoded, data, field)

    def discard(self) -> None:
        # Published outputs were renamed away, so only scratch files and leftovers remain here.
        for path in self._written:
            path.unlink(missing_ok=True)
        self._written.clear()
