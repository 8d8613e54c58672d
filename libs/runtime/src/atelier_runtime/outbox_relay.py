"""The relay: publishes committed rows of a source table to JetStream, in order, at least once."""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Self

import asyncpg

from atelier_runtime.bus import Publisher
from atelier_runtime.db import apply_migrations
from atelier_runtime.outbox import OutboxTableSource
from atelier_runtime.relay_source import (
    RELAY_CURSOR_COMPONENT,
    RELAY_CURSOR_MIGRATIONS,
    RelayCursor,
    RelaySource,
    cursor_of,
    load_cursor,
    store_cursor,
)

# Namespace of the relays' advisory locks (two-int form: apart from the migrations' bigint key).
_LOCK_NAMESPACE = 0x61746C72  # "atlr"

_log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes a source's rows in (transaction id, position) order; one relay per source runs.

    The relay holds a session-level advisory lock on its own connection; standby relays retry it
    and take over when the holder stops or dies. The cursor moves only after JetStream acked the
    whole batch, so a crash resends at most one batch, which `Nats-Msg-Id` deduplicates.
    """

    def __init__(
        self,
        database_url: str,
        publisher: Publisher,
        source: RelaySource | None = None,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        lock_retry_interval: float = 1.0,
        retry_delay: float = 1.0,
    ) -> None:
        self._database_url = database_url
        self._publisher = publisher
        self._source: RelaySource = source if source is not None else OutboxTableSource()
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._lock_retry_interval = lock_retry_interval
        self._retry_delay = retry_delay
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._cursor: RelayCursor | None = None
        self._wake = asyncio.Event()

    @property
    def holds_lock(self) -> bool:
        return self._cursor is not None and self._conn is not None and not self._conn.is_closed()

    async def relay_once(self) -> int:
        """Publishes the next batch if this relay holds, or can take, the lock; returns its size."""
        conn = await self._locked_connection()
        if conn is None or self._cursor is None:
            return 0
        self._wake.clear()
        rows = await conn.fetch(
            self._source.batch_query, self._cursor.tx_id, self._cursor.position, self._batch_size
        )
        if not rows:
            return 0
        await self._publisher.publish_in_order([self._source.to_message(row) for row in rows])
        last = cursor_of(rows[-1])
        await store_cursor(conn, self._source.name, last)
        self._cursor = last
        return len(rows)

    async def run(self) -> None:
        """Relays until cancelled: woken by NOTIFY, polling as a fallback, retrying after errors."""
        try:
            while True:
                try:
                    published = await self.relay_once()
                except Exception:
                    _log.exception("relay %s failed; retrying", self._source.name)
                    await self.close()
                    await asyncio.sleep(self._retry_delay)
                    continue
                if not self.holds_lock:
                    await asyncio.sleep(self._lock_retry_interval)
                elif published < self._batch_size:
                    await self._wait_for_wake()
        finally:
            await self.close()

    async def close(self) -> None:
        """Releases the lock (by ending the session) so a standby relay takes over at once."""
        conn, self._conn, self._cursor = self._conn, None, None
        if conn is not None and not conn.is_closed():
            await conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _locked_connection(self) -> asyncpg.Connection[asyncpg.Record] | None:
        if self._conn is None or self._conn.is_closed():
            self._conn, self._cursor = await self._connect(), None
        if self._cursor is None and await self._try_lock(self._conn):
            await self._start_listening(self._conn)
            self._cursor = await load_cursor(self._conn, self._source.name)
            _log.info("relay %s holds the lock from %s", self._source.name, self._cursor)
        return self._conn if self._cursor is not None else None

    async def _connect(self) -> asyncpg.Connection[asyncpg.Record]:
        conn = await asyncpg.connect(self._database_url)
        try:
            await apply_migrations(conn, RELAY_CURSOR_COMPONENT, RELAY_CURSOR_MIGRATIONS)
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _try_lock(self, conn: asyncpg.Connection[asyncpg.Record]) -> bool:
        locked = await conn.fetchval(
            "SELECT pg_try_advisory_lock($1, hashtext($2))", _LOCK_NAMESPACE, self._source.name
        )
        return bool(locked)

    async def _start_listening(self, conn: asyncpg.Connection[asyncpg.Record]) -> None:
        channel = self._source.notify_channel
        if channel is not None:
            await conn.add_listener(channel, self._on_notify)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _wait_for_wake(self) -> None:
        try:
            async with asyncio.timeout(self._poll_interval):
                await self._wake.wait()
        except TimeoutError:
            pass
