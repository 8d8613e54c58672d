"""The edge's one subscription to generation events: an ordered JetStream consumer on generation's
stream, started at the stream's end, handing every event to the process's ProgressHub.

One consumer per process, not per client: thousands of open streams cost the bus nothing more.
It is ephemeral and in memory (nothing to clean up when the process dies); an ordered consumer
re-creates itself after a gap or a reconnect from the next sequence, so none is skipped.
"""

from __future__ import annotations

import asyncio
import logging

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from atelier_edge.live.decoding import live_event
from atelier_edge.live.hub import ProgressHub
from atelier_edge.live.stream_metrics import StreamMetrics
from atelier_runtime.bus_names import BusNames

_log = logging.getLogger(__name__)
PRODUCER = "generation"


class GenerationFeed:
    def __init__(
        self,
        js: JetStreamContext,
        names: BusNames,
        hub: ProgressHub,
        metrics: StreamMetrics,
        *,
        retry_s: float = 1.0,
    ) -> None:
        self._js = js
        self._names = names
        self._hub = hub
        self._metrics = metrics
        self._retry_s = retry_s
        self._subscription: JetStreamContext.PushSubscription | None = None
        self.subscriptions_opened = 0
        # Set once every event from here on reaches the hub.
        self.following = asyncio.Event()

    async def run(self) -> None:
        """Subscribes once generation's stream exists (it may start after the edge), then returns;
        delivery goes on in the NATS client's own task."""
        stream = self._names.stream(PRODUCER)
        start = await self._stream_end(stream)
        self._hub.begin(after_seq=start)
        while self._subscription is None:
            try:
                self._subscription = await self._js.subscribe(
                    self._names.subjects(PRODUCER),
                    stream=stream,
                    cb=self._on_message,
                    ordered_consumer=True,
                    idle_heartbeat=2.0,
                    deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                    config=ConsumerConfig(opt_start_seq=start + 1),
                )
                self.subscriptions_opened += 1
            except Exception as error:
                _log.warning("cannot subscribe to %s yet: %s", stream, error)
                await asyncio.sleep(self._retry_s)
        self.following.set()
        _log.info("following generation events", extra={"stream": stream, "after": start})

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _stream_end(self, stream: str) -> int:
        while True:
            try:
                return int((await self._js.stream_info(stream)).state.last_seq)
            except NotFoundError:
                _log.info("waiting for stream %s", stream)
            except Exception as error:
                _log.warning("cannot read stream %s: %s", stream, error)
            await asyncio.sleep(self._retry_s)

    async def _on_message(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        event = live_event(seq, msg.data)
        if event is None:
            self._hub.skip(seq)
            return
        before = self._hub.dropped_slow
        self._hub.publish(event)
        self._metrics.dropped_slow(self._hub.dropped_slow - before)
