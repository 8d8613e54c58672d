"""Starts the local provider with its folder, file server and input fetcher, and stops it."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from atelier_generation.providers.local.file_server import FileServer
from atelier_generation.providers.local.file_store import OutputFiles
from atelier_generation.providers.local.input_fetch import InputFetcher
from atelier_generation.providers.local.provider import LocalProvider


@dataclass(frozen=True)
class LocalProviderConfig:
    """The knobs, as the service's settings give them."""

    latency_s: float = 2.5
    url_ttl_s: float = 3600.0
    host: str = "127.0.0.1"
    port: int = 0
    # None: a temporary folder, deleted when the provider stops.
    folder: Path | None = None
    max_bytes: int = 40 * 1024 * 1024
    input_origins: Sequence[str] = ()
    max_input_bytes: int = 10 * 1024 * 1024
    input_timeout_s: float = 30.0


@contextlib.asynccontextmanager
async def running_local_provider(config: LocalProviderConfig) -> AsyncIterator[LocalProvider]:
    """The provider, serving its files until the block ends; then jobs stop and files go."""
    async with contextlib.AsyncExitStack() as stack:
        if config.folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="atelier-local-")))
        else:
            folder = config.folder
            folder.mkdir(parents=True, exist_ok=True)
        files = OutputFiles(folder, ttl_s=config.url_ttl_s, max_bytes=config.max_bytes)
        server = FileServer(files, config.host, config.port)
        # Inputs are read from our own file server too: upscaling a local image is the usual case.
        fetcher = InputFetcher(
            await stack.enter_async_context(httpx.AsyncClient(trust_env=False)),
            allowed_origins=[*config.input_origins, await server.start()],
            max_bytes=config.max_input_bytes,
            timeout_s=config.input_timeout_s,
        )
        stack.push_async_callback(server.close)
        provider = LocalProvider(files, server, fetcher, latency_s=config.latency_s)
        stack.push_async_callback(provider.close)
        yield provider
