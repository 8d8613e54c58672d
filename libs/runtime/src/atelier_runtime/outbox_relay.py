"""The relay: publishes committed rows of a source table to JetStream, in order, exactly once.

Every message carries the row's position (`Atelier-Relay-Position`), and each names the message
before it as the stream's expected last one. So the stream itself says how far the relay got:
a relay that takes over (after a crash between publishing and storing its cursor, however long
ago) starts after the stream's last message rather than its stored cursor, and never publishes
a row twice, even past JetStream's duplicate window; and a message lost mid-batch makes every
later one refused, so the stream keeps the rows' order. One relay publishes into a stream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import asyncpg

from atelier_runtime.bus import OutgoingMessage, Publisher
from atelier_runtime.cancellation import stop_if_cancelled
from atelier_runtime.db import DbConnection, apply_migrations
from atelier_runtime.lag_gauges import Lag
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
POSITION_HEADER = "Atelier-Relay-Position"
# What parks an event the stream can never take (e.g. over NATS's payload limit), with why.
Park = Callable[[DbConnection, OutgoingMessage, str], Awaitable[None]]

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
        stream: str,
        park: Park | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        lock_retry_interval: float = 1.0,
        retry_delay: float = 1.0,
        lag_interval: float = 10.0,
    ) -> None:
        self._database_url = database_url
        self._publisher = publisher
        self._source: RelaySource = source if source is not None else OutboxTableSource()
        self._stream = stream
        self._park = park
        self._after: str | None = None  # the stream's last message id, as this relay knows it
        self._failing_since: float | None = None
        self._last_error = ""
        self.lag: Lag | None = None  # as last measured by `measure_lag`
        self._lag_interval = lag_interval
        self._lag_measured_at = float("-inf")
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
        messages = [self._stamped(row) for row in rows]
        fits = self._publishable_prefix(messages)
        if fits:
            try:
                await self._publisher.publish_in_order(messages[:fits], after=self._after)
            except Exception:
                # Some of the batch may be stored: go on from whatever the stream last took.
                await self._resume_from_stream(conn)
                raise
            self._after = messages[fits - 1].msg_id
        if fits < len(messages):
            await self._park_unpublishable(conn, messages[fits], cursor_of(rows[fits]))
            return fits + 1
        last = cursor_of(rows[-1])
        await store_cursor(conn, self._source.name, last)
        self._cursor = last
        return len(rows)

    @property
    def source_name(self) -> str:
        return self._source.name

    async def measure_lag(self) -> Lag | None:
        """Rows committed but not yet published, and the age of the oldest (while holding the
        lock; a standby relay measures nothing)."""
        query = self._source.lag_query
        if query is None or not self.holds_lock or self._conn is None or self._cursor is None:
            return None
        row = await self._conn.fetchrow(query, self._cursor.tx_id, self._cursor.position)
        if row is not None:
            self.lag = Lag(int(row["waiting"]), float(row["oldest_s"] or 0.0))
        return self.lag

    def problem(self, stuck_after_s: float) -> str | None:
        """Why this relay should not be counted ready: failing for longer than `stuck_after_s`."""
        if self._failing_since is None:
            return None
        failing_s = time.monotonic() - self._failing_since
        if failing_s < stuck_after_s:
            return None
        return f"relay {self._source.name} has failed for {failing_s:.0f} s: {self._last_error}"

    def _stamped(self, row: asyncpg.Record) -> OutgoingMessage:
        message = self._source.to_message(row)
        position = f"{self._source.name}:{row['tx_id']}:{row['position']}"
        return OutgoingMessage(
            message.subject,
            message.payload,
            message.msg_id,
            {**message.headers, POSITION_HEADER: position},
        )

    def _publishable_prefix(self, messages: list[OutgoingMessage]) -> int:
        """How many leading messages the server can take; the next one (if any) never can."""
        limit = self._publisher.max_payload
        for index, message in enumerate(messages):
            if limit and _wire_size(message) > limit:
                return index
        return len(messages)

    async def _park_unpublishable(
        self, conn: asyncpg.Connection[asyncpg.Record], message: OutgoingMessage, at: RelayCursor
    ) -> None:
        limit = self._publisher.max_payload
        error = f"{_wire_size(message)} bytes exceed the server's limit of {limit}"
        if self._park is None:
            raise RuntimeError(f"cannot publish {message.msg_id}: {error}")
        # Parking twice changes nothing, so a crash between the two statements is harmless.
        await self._park(conn, message, error)
        await store_cursor(conn, self._source.name, at)
        self._cursor = at
        _log.error("relay %s parked %s: %s", self._source.name, message.msg_id, error)

    async def _resume_from_stream(self, conn: asyncpg.Connection[asyncpg.Record]) -> None:
        """Takes the cursor and the expected last id from the stream's newest message."""
        last = await self._publisher.last_message(self._stream)
        self._after = None
        if last is None or not last.headers:
            return
        self._after = last.headers.get("Nats-Msg-Id")
        source, _, position = last.headers.get(POSITION_HEADER, "").partition(":")
        tx_id, _, row = position.partition(":")
        if source != self._source.name or not (tx_id.isdigit() and row.isdigit()):
            return
        published = RelayCursor(tx_id=int(tx_id), position=int(row))
        if self._cursor is None or published > self._cursor:
            await store_cursor(conn, self._source.name, published)
            self._cursor = published

    async def run(self) -> None:
        """Relays until cancelled: woken by NOTIFY, polling as a fallback, retrying after errors."""
        try:
            while True:
                stop_if_cancelled()
                try:
                    published = await self.relay_once()
                except Exception as error:
                    _log.exception("relay %s failed; retrying", self._source.name)
                    self._failing_since = self._failing_since or time.monotonic()
                    self._last_error = repr(error)[:200]
                    await self.close()
                    await asyncio.sleep(self._retry_delay)
                    continue
                self._failing_since = None
                await self._measure_lag_now_and_then()
                if not self.holds_lock:
                    await asyncio.sleep(self._lock_retry_interval)
                elif published < self._batch_size:
                    await self._wait_for_wake()
        finally:
            await self.close()

    async def _measure_lag_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._lag_measured_at < self._lag_interval:
            return
        self._lag_measured_at = now
        try:
            await self.measure_lag()
        except Exception:  # a metric is never worth stopping the relay for
            _log.warning("relay %s could not measure its lag", self._source.name, exc_info=True)

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
            await self._resume_from_stream(self._conn)
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


def _wire_size(message: OutgoingMessage) -> int:
    # NATS counts headers against the payload limit; trace and id headers add ~200 bytes.
    headers = sum(len(k) + len(v) + 4 for k, v in message.headers.items())
    return len(message.payload) + headers + 256
