"""The remote adapters the service can build, and the providers built from the configuration.

Adding an adapter is one line in FACTORIES; it then runs whenever its key is set
(ATELIER_PROVIDER_API_KEY_<NAME>). Adapters share one HTTP client (its connection pool) and one
kit: the file server that turns inline outputs into expiring URLs, the folder where adapters of
synchronous APIs journal their calls, the catalogue, and where input files may be read from.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.providers.data_url_outputs import DataUrlOutputs
from atelier_generation.providers.fal.provider import DEFAULT_JWKS_URL, FalProvider
from atelier_generation.providers.gemini.provider import GeminiProvider
from atelier_generation.providers.inline_outputs import InlineOutputs
from atelier_generation.providers.input_fetch import InputFetcher, InputFilesConfig
from atelier_generation.providers.music.provider import MusicProvider
from atelier_generation.providers.openai.provider import OpenAIProvider
from atelier_generation.providers.provider import Provider
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_generation.providers.replicate.provider import ReplicateProvider
from atelier_generation.providers.served_files import ServedFiles

_log = logging.getLogger(__name__)
# Start-up does not wait longer than this for fal's keys; a later submit fetches them again.
_KEYS_AT_START_S = 5.0


@dataclass(frozen=True)
class AdapterKit:
    """What the adapters of one process share besides the HTTP client."""

    served: ServedFiles | None = None
    # None: a synchronous call in flight when the process stops is lost (failed, rolled back).
    journal: Path | None = None
    catalogue: Catalogue | None = None
    fal_jwks_url: str | None = None
    inputs: InputFilesConfig = field(default_factory=InputFilesConfig)

    def inline(self) -> InlineOutputs:
        assert self.served is not None, "the composition root starts the file server first"
        return InlineOutputs(self.served.files, self.served.server)

    def data_urls(self) -> DataUrlOutputs:
        assert self.served is not None, "the composition root starts the file server first"
        return DataUrlOutputs(self.served.files, self.served.server)

    def input_fetcher(self, name: str, http: httpx.AsyncClient) -> InputFetcher:
        """Reads input files for adapters that upload them: from the configured origins and
        our own file server (an output of one job is often the input of the next)."""
        served = [] if self.served is None else [self.served.url]
        return InputFetcher(
            http,
            allowed_origins=[*self.inputs.origins, *served],
            max_bytes=self.inputs.max_bytes,
            timeout_s=self.inputs.timeout_s,
            provider=name,
        )

    def journal_of(self, name: str) -> Path | None:
        return None if self.journal is None else self.journal / name

    def provider_models(self, adapter: str) -> list[str]:
        if self.catalogue is None:
            return []
        return sorted(
            {
                m.provider_model
                for t in self.catalogue.tools
                for m in t.models
                if m.provider == adapter
            }
        )


ProviderFactory = Callable[[RemoteProviderConfig, httpx.AsyncClient, AdapterKit], Provider]


def _fal(config: RemoteProviderConfig, http: httpx.AsyncClient, kit: AdapterKit) -> Provider:
    # fal's callbacks name only the request id; the apps let a restarted process find it.
    return FalProvider(
        config,
        http,
        jwks_url=kit.fal_jwks_url or DEFAULT_JWKS_URL,
        apps=kit.provider_models("fal"),
        inline=kit.data_urls(),
    )


FACTORIES: Mapping[str, ProviderFactory] = {
    "replicate": lambda config, http, kit: ReplicateProvider(config, http, inline=kit.data_urls()),
    "fal": _fal,
    "openai": lambda config, http, kit: OpenAIProvider(
        config,
        http,
        kit.inline(),
        journal=kit.journal_of("openai"),
        inputs=kit.input_fetcher("openai", http),
    ),
    "gemini": lambda config, http, kit: GeminiProvider(
        config,
        http,
        kit.inline(),
        journal=kit.journal_of("gemini"),
        inputs=kit.input_fetcher("gemini", http),
    ),
    "music": lambda config, http, kit: MusicProvider(config, http),
}


@contextlib.asynccontextmanager
async def remote_providers(
    configs: Sequence[RemoteProviderConfig],
    factories: Mapping[str, ProviderFactory] = FACTORIES,
    kit: AdapterKit = AdapterKit(),
) -> AsyncIterator[dict[str, Provider]]:
    """Every configured provider whose adapter is registered, sharing one HTTP client that
    closes when the block ends (adapters with a `close` are closed first)."""
    usable = [config for config in configs if config.name in factories]
    for config in configs:
        if config.name not in factories:
            _log.warning(
                "provider configured but its adapter is not built", extra={"provider": config.name}
            )
    if not usable:
        yield {}
        return
    timeout = max(config.request_timeout_s for config in usable)
    # Redirects are not followed: a provider API that redirects is misconfigured, and a followed
    # redirect would carry our key to wherever it points.
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        providers = {config.name: factories[config.name](config, http, kit) for config in usable}
        await _prepare(providers)
        _log.info("remote providers ready", extra={"providers": sorted(providers)})
        try:
            yield providers
        finally:
            for provider in providers.values():
                close = getattr(provider, "close", None)
                if close is not None and inspect.iscoroutinefunction(close):
                    with contextlib.suppress(Exception):
                        await close()


async def _prepare(providers: Mapping[str, Provider]) -> None:
    """Fetches what an adapter needs before its first callback (fal's webhook keys); a provider
    that cannot be reached now still starts, and fetches again when it next submits."""
    for provider in providers.values():
        if isinstance(provider, FalProvider):
            try:
                await asyncio.wait_for(provider.refresh_keys(), _KEYS_AT_START_S)
            except Exception as error:
                _log.warning("fal webhook keys not fetched yet", extra={"error": repr(error)})
