"""What an in-memory metric reader collected, as {(name, sorted attributes): value}."""

from __future__ import annotations

from opentelemetry.sdk.metrics.export import InMemoryMetricReader

Point = tuple[str, tuple[tuple[str, object], ...]]


def points(reader: InMemoryMetricReader) -> dict[Point, float]:
    found: dict[Point, float] = {}
    data = reader.get_metrics_data()
    assert data is not None
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    attributes = tuple(sorted((point.attributes or {}).items()))
                    found[(metric.name, attributes)] = getattr(point, "value", 0)
    return found
