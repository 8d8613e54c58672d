"""A durable JetStream consumer: each effect and its dedup record commit in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeAlias

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace

from atelier_runtime.bus import MSG_ID_HEADER
from atelier_runtime.db import DbConnection, DbPool, apply_migrations
from atelier_runtime.tracing import extract_context

Handler: TypeAlias = "Callable[[DbConnection, Msg], Awaitable[None]]"

PROCESSED_MESSAGES_COMPONENT = "atelier.processed_messages"
PROCESSED_MESSAGES_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE processed_messages (
        consumer text NOT NULL,
        msg_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, msg_id)
    )
    """,
)

_log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """Raised by a handler when retrying can never help: the message is terminated, not retried."""


def message_id(msg: Msg) -> str:
    """The producer's event id (`Nats-Msg-Id`), else the message's place in its stream."""
    if msg.headers and msg.headers.get(MSG_ID_HEADER):
        return msg.headers[MSG_ID_HEADER]
    meta = msg.metadata
    return f"{meta.stream}:{meta.sequence.stream}"


class IdempotentConsumer:
    """Runs `handler(conn, msg)` at most once per message id, in the transaction that records it.

    Acks only after the commit: a crash before the ack means a redelivery, which finds the
    message id recorded and is acked without calling the handler again. A handler error rolls
    back and naks with the next `backoff` delay; after `max_deliver` attempts JetStream stops
    and raises its MAX_DELIVERIES advisory (the dead-letter hook).
    """

    def __init__(
        self,
        js: JetStreamContext,
        pool: DbPool,
        *,
        stream: str,
        durable: str,
        handler: Handler,
        filter_subjects: Sequence[str] = (),
        ack_wait: float = 30.0,
        max_deliver: int = 10,
        backoff: Sequence[float] = (1.0, 5.0, 30.0, 120.0),
        batch_size: int = 32,
        fetch_timeout: float = 1.0,
        tracer_provider: trace.TracerProvider | None = None,
    ) -> None:
        self._js = js
        self._pool = pool
        self._stream = stream
        self._durable = durable
        self._handler = handler
        self._config = ConsumerConfig(
            name=durable,
            durable_name=durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ack_wait,
            max_deliver=max_deliver,
            filter_subjects=list(filter_subjects) or None,
        )
        self._backoff = tuple(backoff)
        self._batch_size = batch_size
        self._fetch_timeout = fetch_timeout
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)

    async def start(self) -> JetStreamContext.PullSubscription:
        """Creates the dedup table and the durable consumer (or updates its configuration)."""
        if self._subscription is None:
            await apply_migrations(
                self._pool, PROCESSED_MESSAGES_COMPONENT, PROCESSED_MESSAGES_MIGRATIONS
            )
            await self._js.add_consumer(self._stream, self._config)
            self._subscription = await self._js.pull_subscribe_bind(
                durable=self._durable, stream=self._stream
            )
        return self._subscription

    async def process_batch(self) -> int:
        """Fetches up to one batch and processes it; returns how many messages arrived."""
        subscription = await self.start()
        try:
            messages = await subscription.fetch(self._batch_size, timeout=self._fetch_timeout)
        except TimeoutError:  # nats raises both its own subclass and the plain one
            return 0
        fetched_at = asyncio.get_running_loop().time()
        for msg in messages:
            await self._keep_alive_if_slow(msg, fetched_at)
            await self._handle(msg)
        return len(messages)

    async def run(self) -> None:
        """Consumes until cancelled; transient failures are logged and retried."""
        try:
            while True:
                try:
                    await self.process_batch()
                except nats.errors.ConnectionClosedError:
                    raise
                except Exception:
                    _log.exception("consumer %s failed; retrying", self._durable)
                    await asyncio.sleep(1.0)
        finally:
            await self.stop()

    async def stop(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()

    async def _handle(self, msg: Msg) -> None:
        msg_id = message_id(msg)
        with self._tracer.start_as_current_span(
            f"{msg.subject} process",
            context=extract_context(msg.headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.message.id": msg_id, "messaging.consumer": self._durable},
        ):
            try:
                await self._process_once(msg_id, msg)
            except PermanentFailure as failure:
                _log.error("consumer %s gave up on %s: %s", self._durable, msg_id, failure)
                await msg.term()
                return
            except Exception:
                await self._retry_later(msg, msg_id)
                return
            await msg.ack()

    async def _process_once(self, msg_id: str, msg: Msg) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            first_time = await conn.fetchval(
                """
                INSERT INTO processed_messages (consumer, msg_id) VALUES ($1, $2)
                ON CONFLICT DO NOTHING
                RETURNING true
                """,
                self._durable,
                msg_id,
            )
            if first_time:
                await self._handler(conn, msg)
            else:
                # A redelivery after a lost ack, or a resend after the dedup window.
                _log.info("consumer %s skipped duplicate %s", self._durable, msg_id)

    async def _retry_later(self, msg: Msg, msg_id: str) -> None:
        deliveries = msg.metadata.num_delivered
        delay = self._backoff[min(deliveries, len(self._backoff)) - 1] if self._backoff else 0.0
        max_deliver = self._config.max_deliver or -1
        if 0 < max_deliver <= deliveries:
            _log.exception(
                "consumer %s dropped %s after %d attempts", self._durable, msg_id, deliveries
            )
        else:
            _log.warning(
                "consumer %s failed on %s (attempt %d); retrying in %.1fs",
                self._durable,
                msg_id,
                deliveries,
                delay,
                exc_info=True,
            )
        await msg.nak(delay=delay)

    async def _keep_alive_if_slow(self, msg: Msg, fetched_at: float) -> None:
        # Later messages of a batch wait for earlier ones; keep them from timing out meanwhile.
        ack_wait = self._config.ack_wait or 30.0
        if asyncio.get_running_loop().time() - fetched_at > ack_wait / 2:
            await msg.in_progress()
