"""The remote adapters the service can build, and the providers built from the configuration.

Adding an adapter is one line in FACTORIES, e.g. `"replicate": ReplicateProvider,`; it then runs
whenever its key is set (ATELIER_PROVIDER_API_KEY_REPLICATE).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import httpx

from atelier_generation.providers.provider import Provider
from atelier_generation.providers.remote_config import RemoteProviderConfig

_log = logging.getLogger(__name__)
ProviderFactory = Callable[[RemoteProviderConfig, httpx.AsyncClient], Provider]

FACTORIES: Mapping[str, ProviderFactory] = {}


@contextlib.asynccontextmanager
async def remote_providers(
    configs: Sequence[RemoteProviderConfig], factories: Mapping[str, ProviderFactory] = FACTORIES
) -> AsyncIterator[dict[str, Provider]]:
    """Every configured provider whose adapter is registered, sharing one HTTP client (its
    connection pool) that closes when the block ends."""
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
        providers = {config.name: factories[config.name](config, http) for config in usable}
        _log.info("remote providers ready", extra={"providers": sorted(providers)})
        yield providers
