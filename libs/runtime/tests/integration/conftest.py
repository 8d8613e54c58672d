"""Fixtures of the runtime's integration tests: an outbox database and a "demo" stream."""

from __future__ import annotations

from typing import Any

import pytest
from nats.js import JetStreamContext

from atelier_runtime.bus import ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool
from atelier_runtime.outbox import install_outbox


@pytest.fixture
def demo_stream() -> dict[str, Any]:
    """Options of the "demo" stream; a module overrides this fixture to change them."""
    return {}


@pytest.fixture
async def js(
    jetstream: JetStreamContext, bus_names: BusNames, demo_stream: dict[str, Any]
) -> JetStreamContext:
    """JetStream with the test's "demo" stream created (the plugin deletes it after)."""
    await ensure_stream(jetstream, bus_names, "demo", **demo_stream)
    return jetstream


@pytest.fixture
async def outbox_pool(db_pool: DbPool) -> DbPool:
    """The test database with the outbox and relay cursor tables."""
    await install_outbox(db_pool)
    return db_pool
