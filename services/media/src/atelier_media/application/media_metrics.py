"""What operators watch: files and bytes stored by the browser vs the server, and the fallback's pace."""

from __future__ import annotations

from opentelemetry import metrics
from opentelemetry.metrics import MeterProvider

from atelier_media.domain.media_record import MediaRecord


def _kind(reason: str) -> str:
    # The stable part of a reason ("TOO_LARGE: 12 bytes ..." → "TOO_LARGE"): bounded cardinality.
    return reason.split(":", 1)[0][:40]


class MediaMetrics:
    def __init__(self, meter_provider: MeterProvider | None = None) -> None:
        meter = metrics.get_meter("atelier.media", meter_provider=meter_provider)
        self._files = meter.create_counter("media.stored.files", description="Files stored, by who")
        self._bytes = meter.create_counter(
            "media.stored.bytes", unit="By", description="Bytes stored, by who"
        )
        self._delay = meter.create_histogram(
            "media.fallback.delay", unit="s", description="From the record to its transfer's start"
        )
        self._duration = meter.create_histogram(
            "media.fallback.duration", unit="s", description="One server transfer, start to end"
        )
        self._failed = meter.create_counter(
            "media.transfer.failed", description="Transfers given up"
        )
        self._refused = meter.create_counter("media.upload.refused", description="Uploads refused")

    def stored(self, record: MediaRecord) -> None:
        by = record.stored_by.value if record.stored_by else "unknown"
        self._files.add(1, {"stored_by": by})
        self._bytes.add(record.size, {"stored_by": by})

    def fallback_started(self, delay_s: float) -> None:
        self._delay.record(max(delay_s, 0.0))

    def fallback_finished(self, duration_s: float, outcome: str) -> None:
        self._duration.record(duration_s, {"outcome": outcome})

    def transfer_failed(self, reason: str) -> None:
        self._failed.add(1, {"reason": _kind(reason)})

    def upload_refused(self, reason: str) -> None:
        self._refused.add(1, {"reason": _kind(reason)})
