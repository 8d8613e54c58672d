"""A durable JetStream consumer: each effect and its dedup record commit in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.metrics import MeterProvider

from atelier_runtime.bus import MSG_ID_HEADER
from atelier_runtime.cancellation import stop_if_cancelled
from atelier_runtime.db import DbConnection, DbPool, apply_migrations
from atelier_runtime.dead_letters import describe, install_dead_letters, park
from atelier_runtime.processed_messages import (
    PROCESSED_MESSAGES_COMPONENT,
    PROCESSED_MESSAGES_MIGRATIONS,
    Handler,
    process_once,
    prune_processed,
)
from atelier_runtime.retention import PROCESSED_ID_RETENTION, PRUNE_INTERVAL
from atelier_runtime.tracing import extract_context

__all__ = ["Handler", "IdempotentConsumer", "PermanentFailure", "message_id"]

_log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """Raised by a handler when retrying can never help: the message is parked at once, not retried."""


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
    back and naks with the next `backoff` delay. When the `max_deliver`-th delivery fails, or
    the handler raises PermanentFailure, the message is parked in `dead_letters` and terminated,
    so an operator can retry it; the count of deliveries is ours, not JetStream's, so a message
    whose handler never finishes (the process dies in it) is parked too instead of vanishing.
    Processed ids are kept for `retention` (longer than the stream keeps a message) and pruned.
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
        retention: timedelta = PROCESSED_ID_RETENTION,
        prune_interval: timedelta = PRUNE_INTERVAL,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
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
            # Unlimited for JetStream: past our own limit we park and terminate, and a message
            # JetStream stopped delivering on its own would be lost without a trace.
            max_deliver=-1,
            filter_subjects=list(filter_subjects) or None,
        )
        self._max_deliver = max_deliver if max_deliver > 0 else None
        self._backoff = tuple(backoff)
        self._batch_size = batch_size
        self._fetch_timeout = fetch_timeout
        self._retention = retention
        self._prune_interval_s = prune_interval.total_seconds()
        self._next_prune = 0.0
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._meter_provider = meter_provider

    @property
    def durable(self) -> str:
        """The consumer's durable name, also the origin of the dead letters it parks."""
        return self._durable

    @property
    def stream(self) -> str:
        return self._stream

    async def start(self) -> JetStreamContext.PullSubscription:
        """Creates the dedup and dead-letter tables and the durable consumer (or updates it)."""
        if self._subscription is None:
            await apply_migrations(
                self._pool, PROCESSED_MESSAGES_COMPONENT, PROCESSED_MESSAGES_MIGRATIONS
            )
            await install_dead_letters(self._pool)
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

    async def process_in(self, conn: DbConnection, msg_id: str, msg: Msg) -> bool:
        """Processes a message once, in the caller's transaction (a delivery's, or a dead letter's retry)."""
        return await process_once(conn, self._durable, msg_id, self._handler, msg)

    async def prune(self) -> int:
        """Forgets the processed ids older than the retention; returns how many."""
        return await prune_processed(self._pool, self._durable, self._retention)

    async def run(self) -> None:
        """Consumes until cancelled, pruning now and then; failures are logged and retried."""
        try:
            while True:
                stop_if_cancelled()
                try:
                    await self._prune_if_due()
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
        deliveries = msg.metadata.num_delivered
        with self._tracer.start_as_current_span(
            f"{msg.subject} process",
            context=extract_context(msg.headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.message.id": msg_id, "messaging.consumer": self._durable},
        ):
            if self._max_deliver is not None and deliveries > self._max_deliver:
                # An earlier delivery never finished: the process died in the handler, or
                # could not park the message. Running the handler again could do the same.
                error = (
                    f"delivered {deliveries} times, more than max_deliver {self._max_deliver}; "
                    "earlier attempts did not finish"
                )
                await self._give_up(msg, msg_id, error)
                return
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    first_time = await self.process_in(conn, msg_id, msg)
            except PermanentFailure as failure:
                await self._give_up(msg, msg_id, describe(failure))
                return
            except Exception as error:
                if self._max_deliver is not None and deliveries >= self._max_deliver:
                    await self._give_up(msg, msg_id, describe(error))
                else:
                    await self._retry_later(msg, msg_id)
                return
            if not first_time:
                # A redelivery after a lost ack, or a resend after the stream's duplicate window.
                _log.info("consumer %s skipped duplicate %s", self._durable, msg_id)
            await msg.ack()

    async def _give_up(self, msg: Msg, msg_id: str, error: str) -> None:
        """Parks the message as a dead letter, then terminates it so it is never delivered again."""
        try:
            async with self._pool.acquire() as conn:
                await park(
                    conn,
                    origin=self._durable,
                    msg_id=msg_id,
                    subject=msg.subject,
                    payload=msg.data,
                    headers=msg.headers or {},
                    attempts=msg.metadata.num_delivered,
                    error=error,
                    meter_provider=self._meter_provider,
                )
        except Exception:
            # Not parked, so not terminated: the next delivery parks it.
            _log.exception("consumer %s could not park %s; retrying", self._durable, msg_id)
            await msg.nak(delay=self._delay(msg.metadata.num_delivered))
            return
        await msg.term()

    async def _retry_later(self, msg: Msg, msg_id: str) -> None:
        deliveries = msg.metadata.num_delivered
        delay = self._delay(deliveries)
        _log.warning(
            "consumer %s failed on %s (attempt %d); retrying in %.1fs",
            self._durable,
            msg_id,
            deliveries,
            delay,
            exc_info=True,
        )
        await msg.nak(delay=delay)

    def _delay(self, deliveries: int) -> float:
        return self._backoff[min(deliveries, len(self._backoff)) - 1] if self._backoff else 0.0

    async def _prune_if_due(self) -> None:
        now = asyncio.get_running_loop().time()
        if now >= self._next_prune:
            self._next_prune = now + self._prune_interval_s
            pruned = await self.prune()
            if pruned:
                _log.info("consumer %s forgot %d expired message ids", self._durable, pruned)

    async def _keep_alive_if_slow(self, msg: Msg, fetched_at: float) -> None:
        # Later messages of a batch wait for earlier ones; keep them from timing out meanwhile.
        ack_wait = self._config.ack_wait or 30.0
        if asyncio.get_running_loop().time() - fetched_at > ack_wait / 2:
            await msg.in_progress()
