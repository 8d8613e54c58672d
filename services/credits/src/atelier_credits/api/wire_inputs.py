"""Protobuf values that Python cannot represent as-is (out-of-range Timestamps and Durations,
unknown enum numbers) checked before conversion, so they are refused with the field's name."""

from __future__ import annotations

from datetime import datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from atelier.credits.v1 import credits_pb2
from atelier_credits.domain import MAX_FREEZE_TTL, inputs
from atelier_credits.domain.errors import InvalidValue

_EARLIEST_S = int(inputs.EARLIEST.timestamp())
_LATEST_S = int(inputs.LATEST.timestamp())

_REASONS: dict[int, str] = {
    # An unspecified reason is a failed saga step: the common case, and the safe default.
    credits_pb2.ROLLBACK_REASON_UNSPECIFIED: "failed",
    credits_pb2.ROLLBACK_REASON_FAILED: "failed",
    credits_pb2.ROLLBACK_REASON_CANCELED: "canceled",
    credits_pb2.ROLLBACK_REASON_EXPIRED: "expired",
}


def instant_of(field: str, stamp: Timestamp) -> datetime:
    """A Timestamp within years 1970 to 9999 with valid nanos, as an aware datetime."""
    if not (_EARLIEST_S <= stamp.seconds <= _LATEST_S and 0 <= stamp.nanos <= 999_999_999):
        raise InvalidValue(
            field,
            "must be a time in the years 1970 to 9999 (seconds "
            f"{inputs.shown(stamp.seconds)}, nanos {inputs.shown(stamp.nanos)})",
            reason="INVALID_TIME",
        )
    return inputs.instant(field, stamp.ToDatetime(tzinfo=inputs.EARLIEST.tzinfo))


def ttl_of(field: str, duration: Duration) -> timedelta:
    """A Duration as a freeze ttl: positive, at most the longest ttl, never overflowing."""
    return inputs.seconds_and_nanos(field, duration.seconds, duration.nanos, longest=MAX_FREEZE_TTL)


def reason_of(field: str, number: int) -> str:
    """A RollbackReason number as the domain's reason; unknown numbers are refused."""
    try:
        return _REASONS[number]
    except KeyError:
        raise InvalidValue(
            field,
            f"must be one of {sorted(_REASONS)}, got {inputs.shown(number)}",
            reason="INVALID_REASON",
        ) from None
