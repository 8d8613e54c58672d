"""Wake-ups from PostgreSQL NOTIFY, so workers start at commit instead of at their next poll."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Self

import asyncpg

_log = logging.getLogger(__name__)


class Notifications:
    """One LISTEN connection; every signal it hands out is set on each notification.

    Notifications only hurry the workers: they also poll, so a lost connection costs latency,
    never work.
    """

    def __init__(self, database_url: str, channel: str) -> None:
        self._database_url = database_url
        self._channel = channel
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._signals: list[asyncio.Event] = []

    def signal(self) -> asyncio.Event:
        event = asyncio.Event()
        self._signals.append(event)
        return event

    def _notified(self, *_: object) -> None:
        for event in self._signals:
            event.set()

    async def __aenter__(self) -> Self:
        try:
            self._conn = await asyncpg.connect(self._database_url)
            await self._conn.add_listener(self._channel, self._notified)
        except (OSError, asyncpg.PostgresError):
            _log.warning("cannot listen; polling only", extra={"channel": self._channel})
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await self._conn.close()


async def wait_for(signal: asyncio.Event, timeout_s: float) -> None:
    """Returns when `signal` is set or `timeout_s` passed, and clears it for the next round."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(signal.wait(), timeout_s)
    signal.clear()
