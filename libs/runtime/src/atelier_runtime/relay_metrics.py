"""A relay's lag as OpenTelemetry gauges: how many committed events wait, and for how long."""

from __future__ import annotations

from opentelemetry import metrics
from opentelemetry.metrics import Meter

from atelier_runtime.lag_gauges import observe_lag
from atelier_runtime.outbox_relay import OutboxRelay


def observe_relay_lag(relay: OutboxRelay, meter: Meter | None = None) -> None:
    """Reports the lag the relay last measured; nothing while it is a standby or unmeasured."""
    observe_lag(
        meter or metrics.get_meter("atelier.relay"),
        "atelier.relay",
        lambda: relay.lag,
        {"source": relay.source_name},
        "published by the relay",
    )
