"""Exposes the statement projection's lag as OpenTelemetry gauges (exported with the traces)."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from atelier_credits.adapters.statement_projector import StatementProjector


def observe_projection_lag(projector: StatementProjector, meter: Meter | None = None) -> None:
    """Reports the lag the projector last measured; nothing until it has measured once."""
    meter = meter or metrics.get_meter("atelier.credits")

    def events_behind(_: CallbackOptions) -> Iterable[Observation]:
        lag = projector.last_lag
        return [] if lag is None else [Observation(lag.events, {"projection": "statement_lines"})]

    def seconds_behind(_: CallbackOptions) -> Iterable[Observation]:
        lag = projector.last_lag
        return [] if lag is None else [Observation(lag.seconds, {"projection": "statement_lines"})]

    meter.create_observable_gauge(
        "atelier.credits.projection.lag_events",
        callbacks=[events_behind],
        unit="{event}",
        description="Committed ledger events not yet in the statement projection",
    )
    meter.create_observable_gauge(
        "atelier.credits.projection.lag_seconds",
        callbacks=[seconds_behind],
        unit="s",
        description="Age of the oldest ledger event not yet in the statement projection",
    )
