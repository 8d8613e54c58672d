"""NATS JetStream plumbing: resilient connection, per-service streams, a deduplicating publisher."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import PubAck, RawStreamMsg, StorageType, StreamConfig, StreamInfo
from nats.js.errors import BadRequestError, NotFoundError

from atelier_runtime.bus_names import BusNames
from atelier_runtime.tracing import inject_headers

MSG_ID_HEADER = "Nats-Msg-Id"
EXPECTED_LAST_MSG_ID_HEADER = "Nats-Expected-Last-Msg-Id"

# JetStream's "stream name already in use with a different configuration".
_STREAM_EXISTS_WITH_OTHER_CONFIG = 10058

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to publish; `msg_id` is the event id JetStream deduplicates on."""

    subject: str
    payload: bytes
    msg_id: str
    headers: Mapping[str, str] = field(default_factory=dict)


async def _log_error(error: Exception) -> None:
    _log.warning("nats error: %s", error)


async def _log_disconnected() -> None:
    # Also called on a deliberate close; a real outage shows as errors and reconnects.
    _log.info("nats disconnected")


async def _log_reconnected() -> None:
    _log.info("nats reconnected")


async def connect(url: str, name: str, *, first_connect_s: float = 15.0, **options: Any) -> NATS:
    """Connects with endless reconnects: a NATS restart pauses a service instead of killing it.

    Only the first connection is bounded: a wrong URL at start fails with a message naming it.
    """
    settings: dict[str, Any] = {
        "name": name,
        "allow_reconnect": True,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 1,
        "connect_timeout": 2,
        "ping_interval": 10,
        "max_outstanding_pings": 3,
        "error_cb": _log_error,
        "disconnected_cb": _log_disconnected,
        "reconnected_cb": _log_reconnected,
    }
    settings.update(options)
    servers = [server.strip() for server in url.split(",") if server.strip()]
    client = NATS()
    try:
        async with asyncio.timeout(first_connect_s):
            await client.connect(servers, **settings)
    except TimeoutError:
        await client.close()
        raise ConnectionError(f"NATS at {url} not reachable within {first_connect_s:g} s") from None
    return client


async def ensure_stream(
    js: JetStreamContext,
    names: BusNames,
    service: str,
    *,
    duplicate_window: float = 120.0,
    allow_msg_schedules: bool = False,
    max_age: float | None = None,
    replicas: int = 1,
) -> StreamInfo:
    """Creates the service's stream or updates it to this configuration; safe at every start.

    `duplicate_window` (seconds) bounds how long a re-sent `Nats-Msg-Id` is recognised.
    """
    config = StreamConfig(
        name=names.stream(service),
        subjects=[names.subjects(service)],
        storage=StorageType.FILE,
        duplicate_window=duplicate_window,
        max_age=max_age,
        num_replicas=replicas,
        allow_msg_schedules=True if allow_msg_schedules else None,
    )
    try:
        return await js.add_stream(config)
    except BadRequestError as error:
        if error.err_code != _STREAM_EXISTS_WITH_OTHER_CONFIG:
            raise
    return await js.update_stream(config)


class Publisher:
    """Publishes to JetStream with `Nats-Msg-Id` always set and the trace context in the headers."""

    def __init__(self, js: JetStreamContext, *, timeout: float = 5.0) -> None:
        self._js = js
        self._timeout = timeout

    @property
    def max_payload(self) -> int:
        """The largest message the server takes (0 when not known yet)."""
        return int(self._js._nc.max_payload or 0)

    async def last_message(self, stream: str) -> RawStreamMsg | None:
        """The newest message still in `stream`, or None."""
        return await last_message(self._js, stream)

    async def publish(
        self,
        subject: str,
        payload: bytes,
        *,
        msg_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> PubAck:
        """Publishes one message and waits for the stream's ack (`ack.duplicate` on a resend)."""
        return await self._js.publish(
            subject, payload, timeout=self._timeout, headers=_headers(msg_id, headers)
        )

    async def publish_in_order(
        self, messages: Sequence[OutgoingMessage], *, after: str | None = None
    ) -> list[PubAck]:
        """Publishes a batch pipelined on one connection, so the stream stores it in this order.

        Each message names the one before it as the stream's expected last message id (the
        first names `after`, when given): if one is lost, every later one is refused, so the
        stream never holds version k+1 without k. Returns once every message is acked; raises
        if any is not, and the caller resumes from the stream's last message.
        """
        pending: list[asyncio.Future[PubAck]] = []
        previous = after
        try:
            for message in messages:
                headers = _headers(message.msg_id, message.headers)
                if previous is not None:
                    headers[EXPECTED_LAST_MSG_ID_HEADER] = previous
                previous = message.msg_id
                pending.append(
                    await self._js.publish_async(
                        message.subject,
                        message.payload,
                        # No stall wait: nats-py implements it with asyncio.wait_for, which on
                        # Python 3.11 can swallow a cancellation and keep a stopping relay alive.
                        # A batch is far below nats-py's pending limit, so it never stalls.
                        wait_stall=None,
                        headers=headers,
                    )
                )
            async with asyncio.timeout(self._timeout):
                return list(await asyncio.gather(*pending))
        finally:
            for future in pending:
                future.cancel()


async def last_message(js: JetStreamContext, stream: str) -> RawStreamMsg | None:
    """The newest message still in `stream`, or None when it has none."""
    last = (await js.stream_info(stream)).state.last_seq
    if not last:
        return None
    try:
        return await js.get_msg(stream, seq=last)
    except NotFoundError:  # removed by age or limits since
        return None


def _headers(msg_id: str, headers: Mapping[str, str] | None) -> dict[str, str]:
    # Headers the caller passes win over the ambient trace context: an outbox row carries
    # the traceparent of the request that wrote it, not of the relay that publishes it.
    merged = inject_headers({})
    merged.update(headers or {})
    merged[MSG_ID_HEADER] = msg_id
    return merged
