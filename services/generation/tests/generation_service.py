"""Runs the real generation service (its composition root) in-process for integration tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from atelier_generation.main import build
from atelier_generation.providers.provider import Provider
from atelier_generation.settings import GenerationSettings
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.service import ServiceScope
from atelier_testing.in_process import serving


def service_settings(
    database_url: str, nats_url: str, prefix: str, **overrides: Any
) -> GenerationSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_prefix": prefix,
        "grpc_port": 0,
        "shutdown_grace_s": 2.0,
        "shutdown_drain_s": 0.0,
        "local_provider_latency_s": 0.0,
        "generation_poll_s": 0.02,
        "generation_relay_poll_s": 0.02,
        "generation_lease_s": 1.5,
        **overrides,
    }
    return GenerationSettings(**values)


def serving_generation(
    settings: GenerationSettings, providers: Mapping[str, Provider] | None = None
) -> AbstractAsyncContextManager[str]:
    """Serves until the block ends (with `providers` instead of the configured ones, when
    given); yields the address it listens on."""

    async def built(settings: GenerationSettings, scope: ServiceScope) -> Sequence[GrpcService]:
        return await build(settings, scope, providers=providers)

    return serving(settings, built)
