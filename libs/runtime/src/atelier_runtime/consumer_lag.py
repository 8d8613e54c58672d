"""A durable consumer's backlog, read from JetStream now and then, as an OpenTelemetry gauge."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from nats.js import JetStreamContext
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, Observation

_log = logging.getLogger(__name__)


class ConsumerLag:
    """Messages of a stream a durable consumer has not acknowledged yet (pending or in flight)."""

    def __init__(
        self, js: JetStreamContext, stream: str, durable: str, meter: Meter | None = None
    ) -> None:
        self._js, self._stream, self._durable = js, stream, durable
        self.messages: int | None = None
        (meter or metrics.get_meter("atelier.consumer")).create_observable_gauge(
            "atelier.consumer.lag_messages",
            callbacks=[self._observe],
            unit="{message}",
            description="Messages a durable consumer has not acknowledged yet",
        )

    async def measure(self) -> int:
        info = await self._js.consumer_info(self._stream, self._durable)
        self.messages = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
        return self.messages

    async def run(self, interval_s: float = 10.0) -> None:
        """Measures every `interval_s` until cancelled; a failed measurement is only logged."""
        while True:
            try:
                await self.measure()
            except Exception:  # a metric is never worth stopping a service for
                _log.warning("consumer %s: lag not measured", self._durable, exc_info=True)
            await asyncio.sleep(interval_s)

    def _observe(self, _: CallbackOptions) -> Iterable[Observation]:
        if self.messages is None:
            return []
        return [Observation(self.messages, {"consumer": self._durable, "stream": self._stream})]
