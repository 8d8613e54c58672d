"""Starts the local provider with its folder, file server and input fetcher, and stops it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from atelier_generation.providers.input_fetch import InputFetcher
from atelier_generation.providers.local.provider import LocalProvider
from atelier_generation.providers.served_files import ServedFiles, ServedFilesConfig, serving_files


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


def served_files_config(config: LocalProviderConfig) -> ServedFilesConfig:
    return ServedFilesConfig(
        url_ttl_s=config.url_ttl_s,
        host=config.host,
        port=config.port,
        folder=config.folder,
        max_bytes=config.max_bytes,
    )


@contextlib.asynccontextmanager
async def running_local_provider(
    config: LocalProviderConfig, served: ServedFiles | None = None
) -> AsyncIterator[LocalProvider]:
    """The provider, serving its files until the block ends; then jobs stop and files go.
    `served`: a file server already running (shared with remote adapters' inline outputs)."""
    async with contextlib.AsyncExitStack() as stack:
        if served is None:
            served = await stack.enter_async_context(
                serving_files(served_files_config(config), prefix="atelier-local-")
            )
        # Inputs are read from our own file server too: upscaling a local image is the usual case.
        fetcher = InputFetcher(
            await stack.enter_async_context(httpx.AsyncClient(trust_env=False)),
            allowed_origins=[*config.input_origins, served.url],
            max_bytes=config.max_input_bytes,
            timeout_s=config.input_timeout_s,
        )
        provider = LocalProvider(served.files, served.server, fetcher, latency_s=config.latency_s)
        stack.push_async_callback(provider.close)
        yield provider
