"""A folder of generated files behind expiring URLs, on a small HTTP server of this process.

The local provider's outputs and whatever a remote provider hands back inline (base64 images,
`data:` URLs, a video only our key may download) are served from here until media copies them,
the way a provider's CDN serves its own. One server per generation process, so an operator
opens (and media allows) one origin.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from atelier_generation.providers.local.file_server import FileServer
from atelier_generation.providers.local.file_store import OutputFiles


@dataclass(frozen=True)
class ServedFilesConfig:
    """Where the files live and are served from, for how long, and how much at most."""

    url_ttl_s: float = 3600.0
    host: str = "127.0.0.1"
    port: int = 0
    # None: a temporary folder, deleted when the server stops.
    folder: Path | None = None
    max_bytes: int = 40 * 1024 * 1024


@dataclass(frozen=True)
class ServedFiles:
    files: OutputFiles
    server: FileServer
    url: str


@contextlib.asynccontextmanager
async def serving_files(config: ServedFilesConfig, *, prefix: str) -> AsyncIterator[ServedFiles]:
    """The folder and its server, until the block ends (then a temporary folder goes too)."""
    async with contextlib.AsyncExitStack() as stack:
        if config.folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
        else:
            folder = config.folder
            folder.mkdir(parents=True, exist_ok=True)
        files = OutputFiles(folder, ttl_s=config.url_ttl_s, max_bytes=config.max_bytes)
        server = FileServer(files, config.host, config.port)
        url = await server.start()
        stack.push_async_callback(server.close)
        yield ServedFiles(files, server, url)
