"""Hands PostgreSQL notifications of provider callbacks to this process's waiting drivers, so a
callback received by any replica wakes the driver on whichever replica holds the lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from atelier_generation.adapters.provider_updates import CHANNEL
from atelier_generation.application.nudges import Nudges

_log = logging.getLogger(__name__)


async def listen_for_webhooks(database_url: str, nudges: Nudges, *, retry_s: float = 5.0) -> None:
    """Listens until cancelled, reconnecting after a lost connection (polls cover the gap)."""
    while True:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await _listen(database_url, nudges)
        _log.warning("not listening for provider callbacks; drivers rely on polls meanwhile")
        await asyncio.sleep(retry_s)


async def _listen(database_url: str, nudges: Nudges) -> None:
    """Returns when the connection is lost."""
    conn = await asyncpg.connect(database_url)
    lost = asyncio.Event()
    try:
        conn.add_termination_listener(lambda _: lost.set())
        await conn.add_listener(CHANNEL, lambda *args: nudges.nudge(str(args[3])))
        await lost.wait()
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await conn.close(timeout=2)
