"""Exposes the statement projection's lag as OpenTelemetry gauges (exported with the traces)."""

from __future__ import annotations

from opentelemetry import metrics
from opentelemetry.metrics import Meter

from atelier_credits.adapters.statement_projector import StatementProjector
from atelier_runtime.lag_gauges import observe_lag


def observe_projection_lag(projector: StatementProjector, meter: Meter | None = None) -> None:
    """Reports the lag the projector last measured; nothing until it has measured once."""
    observe_lag(
        meter or metrics.get_meter("atelier.credits"),
        "atelier.credits.projection",
        lambda: projector.last_lag,
        {"projection": "statement_lines"},
        "in the statement projection",
    )
