"""OpenTelemetry metrics: one MeterProvider per process, exported like the traces are."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from atelier_runtime.tracing import Exporter

_EXPORT_INTERVAL_MS = 15_000


def _readers(exporter: Exporter) -> list[MetricReader]:
    if exporter == "console":
        return [PeriodicExportingMetricReader(ConsoleMetricExporter(), _EXPORT_INTERVAL_MS)]
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return [PeriodicExportingMetricReader(OTLPMetricExporter(), _EXPORT_INTERVAL_MS)]
    return []


def configure_metrics(
    service_name: str, exporter: Exporter = "none", *, readers: Sequence[MetricReader] = ()
) -> MeterProvider:
    """Installs the global MeterProvider; tests pass their own reader (e.g. InMemoryMetricReader)."""
    provider = MeterProvider(
        metric_readers=[*_readers(exporter), *readers],
        resource=Resource.create({"service.name": f"atelier-{service_name}"}),
    )
    metrics.set_meter_provider(provider)
    return provider
