"""Hostile Timestamps and Durations: whole (seconds, nanos) pairs, since their halves only mean
something together (a valid nanos beside out-of-range seconds is still an invalid instant)."""

from __future__ import annotations

from google.protobuf.message import Message

from atelier_testing.grpc_fuzzer.values import INT64, Hostile, Trait

TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"

# google.protobuf.Timestamp is valid from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
YEAR_0001 = -62_135_596_800
YEAR_10000 = 253_402_300_800
# google.protobuf.Duration is valid within ±10,000 years, nanos with the sign of the seconds.
DURATION_MAX_S = 315_576_000_000
# A plausible future instant (2030-01-01) and lifetime, for baselines the caller did not give.
DEFAULT_TIME = (1_893_456_000, 0)
DEFAULT_DURATION = (60, 0)


def _pair(label: str, trait: Trait, seconds: int, nanos: int = 0) -> Hostile:
    return Hostile(label, trait, lambda: (seconds, nanos))


def _timestamps() -> list[Hostile]:
    later = DEFAULT_TIME[0]
    return [
        _pair("Timestamp seconds int64 max", Trait.TIME_OUT_OF_RANGE, INT64[1]),
        _pair("Timestamp seconds int64 min", Trait.TIME_OUT_OF_RANGE, INT64[0]),
        _pair("Timestamp 1969-12-31T23:59:59Z (-1 s)", Trait.TIME_BEFORE_1970, -1),
        _pair("Timestamp 0001-01-01 (earliest valid)", Trait.TIME_BEFORE_1970, YEAR_0001),
        _pair("Timestamp before year 0001", Trait.TIME_OUT_OF_RANGE, YEAR_0001 - 1),
        _pair("Timestamp 10000-01-01", Trait.TIME_OUT_OF_RANGE, YEAR_10000),
        _pair("Timestamp nanos 2,000,000,000", Trait.NANOS_OUT_OF_RANGE, later, 2_000_000_000),
        _pair("Timestamp nanos -1", Trait.NANOS_OUT_OF_RANGE, later, -1),
    ]


def _durations() -> list[Hostile]:
    return [
        _pair("Duration seconds int64 max", Trait.DURATION_OUT_OF_RANGE, INT64[1]),
        _pair("Duration seconds int64 min", Trait.DURATION_OUT_OF_RANGE, INT64[0]),
        _pair("Duration 10,000 years + 1 s", Trait.DURATION_OUT_OF_RANGE, DURATION_MAX_S + 1),
        _pair("Duration -1 s", Trait.DURATION_NOT_POSITIVE, -1),
        _pair("Duration zero", Trait.DURATION_NOT_POSITIVE, 0),
        _pair("Duration 1 s with nanos -1 (signs differ)", Trait.NANOS_OUT_OF_RANGE, 1, -1),
        _pair("Duration nanos 2,000,000,000", Trait.NANOS_OUT_OF_RANGE, 0, 2_000_000_000),
    ]


def hostile_times(message_name: str) -> list[Hostile] | None:
    """The hostile values of a Timestamp or Duration; None for any other message type."""
    if message_name == TIMESTAMP:
        return _timestamps()
    if message_name == DURATION:
        return _durations()
    return None


def default_time(message_name: str) -> tuple[int, int] | None:
    """A valid value for a Timestamp or Duration the baseline leaves to us."""
    return {TIMESTAMP: DEFAULT_TIME, DURATION: DEFAULT_DURATION}.get(message_name)


def set_time(message: Message, seconds: int, nanos: int) -> None:
    """Sets both halves and marks the field present even when both are zero."""
    message.SetInParent()
    setattr(message, "seconds", seconds)  # noqa: B010 - the class is built at run time
    setattr(message, "nanos", nanos)  # noqa: B010
