"""The projection's lag is readable as OpenTelemetry gauges."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.postgres_store import PostgresAccountStore
from atelier_credits.adapters.projection_metrics import observe_projection_lag
from atelier_credits.adapters.statement_projector import StatementProjector
from atelier_credits.application.ledger import Ledger
from atelier_runtime.db import DbPool


def _gauges(reader: InMemoryMetricReader) -> dict[str, float]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint)
    }


async def test_lag_gauges_report_events_not_yet_projected_then_zero(pool: DbPool) -> None:
    ledger = Ledger.serial(PostgresAccountStore(pool, event_mapper()))
    await ledger.grant("acct-lag", "g1", 10)
    await ledger.freeze("acct-lag", "gen-1", 4)
    projector = StatementProjector(pool, event_mapper())
    reader = InMemoryMetricReader()
    observe_projection_lag(projector, MeterProvider(metric_readers=[reader]).get_meter("t"))

    projector.last_lag = await projector.lag()
    behind = _gauges(reader)
    await projector.catch_up()
    projector.last_lag = await projector.lag()
    caught_up = _gauges(reader)

    assert behind["atelier.credits.projection.lag_events"] == 3
    assert caught_up["atelier.credits.projection.lag_events"] == 0
    assert caught_up["atelier.credits.projection.lag_seconds"] == 0
