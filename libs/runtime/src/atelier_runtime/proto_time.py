"""Conversions between aware datetimes and protobuf Timestamps, in one place."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def to_timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def to_optional_timestamp(value: datetime | None) -> Timestamp | None:
    """None stays unset on the message, which is how "never" is said on the wire."""
    return None if value is None else to_timestamp(value)


def from_timestamp(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)
