"""What operators watch: files and bytes stored by the browser vs the server, and the fallback's pace."""

from __future__ import annotations

from opentelemetry import metrics

from atelier_media.domain.media_record import MediaRecord

_meter = metrics.get_meter("atelier.media")
_files = _meter.create_counter("media.stored.files", description="Files stored, by who stored them")
_bytes = _meter.create_counter("media.stored.bytes", unit="By", description="Bytes stored, by who")
_delay = _meter.create_histogram(
    "media.fallback.delay", unit="s", description="From the record to the start of its transfer"
)
_duration = _meter.create_histogram(
    "media.fallback.duration", unit="s", description="One server transfer, start to end"
)
_failed = _meter.create_counter(
    "media.transfer.failed", description="Transfers given up, by reason"
)
_refused = _meter.create_counter("media.upload.refused", description="Browser uploads refused")


def stored(record: MediaRecord) -> None:
    by = record.stored_by.value if record.stored_by else "unknown"
    _files.add(1, {"stored_by": by})
    _bytes.add(record.size, {"stored_by": by})


def fallback_started(delay_s: float) -> None:
    _delay.record(max(delay_s, 0.0))


def fallback_finished(duration_s: float, outcome: str) -> None:
    _duration.record(duration_s, {"outcome": outcome})


def transfer_failed(reason: str) -> None:
    _failed.add(1, {"reason": reason.split(":", 1)[0]})


def upload_refused(reason: str) -> None:
    _refused.add(1, {"reason": reason.split(":", 1)[0]})
