"""What the live streams report: streams open, events delivered, clients cut for slowness."""

from __future__ import annotations

from opentelemetry import metrics


class StreamMetrics:
    def __init__(self, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("atelier.edge")
        self._open = meter.create_up_down_counter(
            "atelier.edge.sse.open_streams", description="generation event streams open"
        )
        self._delivered = meter.create_counter(
            "atelier.edge.sse.events_delivered", description="events written to streams"
        )
        self._slow = meter.create_counter(
            "atelier.edge.sse.slow_disconnects",
            description="streams ended because their client could not keep up",
        )

    def opened(self) -> None:
        self._open.add(1)

    def closed(self) -> None:
        self._open.add(-1)

    def delivered(self, count: int) -> None:
        if count:
            self._delivered.add(count)

    def dropped_slow(self, count: int) -> None:
        if count:
            self._slow.add(count)
