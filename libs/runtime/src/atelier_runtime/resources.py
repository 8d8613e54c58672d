"""Opens a service's connections inside its ServiceScope, so they close after the server stops."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from atelier_runtime.bus import connect, ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool, create_pool, ensure_database
from atelier_runtime.retention import STREAM_MAX_AGE_S
from atelier_runtime.service import ServiceScope
from atelier_runtime.settings import ServiceSettings


async def open_database(scope: ServiceScope, settings: ServiceSettings) -> DbPool:
    """The service's own database (created if missing), as a pool closed at shutdown."""
    if not settings.database_url:
        raise ValueError(f"ATELIER_DATABASE_URL is required by {settings.service_name}")
    await ensure_database(settings.database_url)
    pool = await create_pool(settings.database_url)
    scope.resources.push_async_callback(pool.close)
    return pool


async def open_bus(
    scope: ServiceScope, settings: ServiceSettings, *, stream_of: str | None
) -> NATS:
    """A NATS connection, drained at shutdown; ensures the stream of events this service produces."""
    client = await connect(settings.nats_url, settings.service_name)
    scope.resources.push_async_callback(client.drain)
    if stream_of is not None:
        await ensure_stream(
            client.jetstream(),
            BusNames(settings.nats_prefix),
            stream_of,
            replicas=settings.nats_replicas,
            # Nothing older can be redelivered; consumers keep processed ids a day longer.
            max_age=STREAM_MAX_AGE_S,
        )
    return client
