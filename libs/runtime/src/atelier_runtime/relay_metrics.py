"""A relay's lag as OpenTelemetry gauges: how many committed events wait, and for how long."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from atelier_runtime.outbox_relay import OutboxRelay


def observe_relay_lag(relay: OutboxRelay, meter: Meter | None = None) -> None:
    """Reports the lag the relay last measured; nothing while it is a standby or unmeasured."""
    meter = meter or metrics.get_meter("atelier.relay")
    attributes = {"source": relay.source_name}

    def events_behind(_: CallbackOptions) -> Iterable[Observation]:
        lag = relay.lag
        return [] if lag is None else [Observation(lag.events, attributes)]

    def seconds_behind(_: CallbackOptions) -> Iterable[Observation]:
        lag = relay.lag
        return [] if lag is None else [Observation(lag.seconds, attributes)]

    meter.create_observable_gauge(
        "atelier.relay.lag_events",
        callbacks=[events_behind],
        unit="{event}",
        description="Committed events the relay has not yet published",
    )
    meter.create_observable_gauge(
        "atelier.relay.lag_seconds",
        callbacks=[seconds_behind],
        unit="s",
        description="Age of the oldest committed event the relay has not yet published",
    )
