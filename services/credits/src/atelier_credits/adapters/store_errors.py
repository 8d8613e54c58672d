"""A database that cannot be reached is UNAVAILABLE to callers, who may retry; never INTERNAL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from atelier_runtime.errors import Unavailable

_log = logging.getLogger(__name__)

_UNREACHABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)


class DatabaseUnavailable(Unavailable):
    """The credits database did not answer; nothing this call asked for was recorded."""

    def __init__(self) -> None:
        super().__init__(
            "the credits database cannot be reached; retry (every write is idempotent by its id)",
            reason="DATABASE_UNAVAILABLE",
        )


@asynccontextmanager
async def database_errors() -> AsyncIterator[None]:
    """Turns connection-level failures into DatabaseUnavailable."""
    try:
        yield
    except _UNREACHABLE as error:
        _log.warning("credits database unreachable: %r", error)
        raise DatabaseUnavailable() from error
