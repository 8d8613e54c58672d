"""Runs the real credits service (its composition root) in-process for integration tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

from atelier.credits.v1 import credits_pb2_grpc
from atelier_credits.main import build
from atelier_credits.settings import CreditsSettings
from atelier_runtime.grpc_client import channel
from atelier_testing.in_process import serving


def fast_settings(
    database_url: str, nats_url: str, prefix: str, **overrides: Any
) -> CreditsSettings:
    """The service's settings with background loops tuned for tests that poll for their effects."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_prefix": prefix,
        "grpc_port": 0,
        "shutdown_grace_s": 2.0,
        "shutdown_drain_s": 0.0,
        "credits_sweep_interval_s": 0.1,
        "credits_relay_poll_s": 0.02,
        "credits_projector_poll_s": 0.05,
        **overrides,
    }
    return CreditsSettings(**values)


def serving_credits(settings: CreditsSettings) -> AbstractAsyncContextManager[str]:
    """Serves until the block ends; yields the address it listens on."""
    return serving(settings, build)


@contextlib.asynccontextmanager
async def running_credits(
    settings: CreditsSettings,
) -> AsyncIterator[credits_pb2_grpc.CreditsServiceAsyncStub]:
    """Serves until the block ends; yields a stub connected to it."""
    async with serving_credits(settings) as address, channel(address) as ch:
        yield credits_pb2_grpc.CreditsServiceStub(ch)  # type: ignore[misc]
