"""Files and bytes are counted by who stored them; failure reasons keep only their stable part."""

from __future__ import annotations

from datetime import UTC, datetime

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from atelier_media.application.media_metrics import MediaMetrics
from atelier_media.domain.media_record import StoredBy, new_external_record

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def points(reader: InMemoryMetricReader) -> dict[tuple[str, tuple[tuple[str, object], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, object], ...]], float] = {}
    data = reader.get_metrics_data()
    assert data is not None
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    attributes = tuple(sorted((point.attributes or {}).items()))
                    found[(metric.name, attributes)] = getattr(
                        point, "value", getattr(point, "sum", 0)
                    )
    return found


def test_stored_files_and_bytes_are_split_by_who_stored_them() -> None:
    reader = InMemoryMetricReader()
    metrics = MediaMetrics(MeterProvider(metric_readers=[reader]))
    record = new_external_record(
        media_id="m", account_id="a", generation_id="g", content_type="image/png",
        source_url="https://replicate.delivery/x.png", source_expires_at=None, now=NOW,
    )  # fmt: skip
    metrics.stored(record.stored(StoredBy.CLIENT, 100, NOW))
    metrics.stored(record.stored(StoredBy.SERVER, 40, NOW))
    metrics.stored(record.stored(StoredBy.SERVER, 2, NOW))
    metrics.transfer_failed("TOO_LARGE: 12345 bytes, more than the 10 allowed")
    metrics.fallback_started(61.5)

    seen = points(reader)
    assert seen[("media.stored.files", (("stored_by", "client"),))] == 1
    assert seen[("media.stored.files", (("stored_by", "server"),))] == 2
    assert seen[("media.stored.bytes", (("stored_by", "server"),))] == 42
    assert seen[("media.transfer.failed", (("reason", "TOO_LARGE"),))] == 1
    assert seen[("media.fallback.delay", ())] == 61.5
