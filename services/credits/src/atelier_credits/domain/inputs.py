"""Checks on command arguments, run at the door before anything is queued, decided or recorded.

Whatever passes here can be stored in PostgreSQL, published on NATS and projected into a
statement, so a hostile value is refused with the field's name instead of stalling a worker later.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from atelier_credits.domain.errors import InvalidAmount, InvalidValue
from atelier_credits.domain.values import RollbackReason

# Far above any real grant, far below int64 sums: balances stay exact in every store.
MAX_AMOUNT = 10**12
# Ids are saga keys (generation ids, Stripe object ids, day keys): short by nature.
MAX_ID = 200
# Free text (a source, a reason, a reference) describes; it never carries a payload.
MAX_TEXT = 1_000
# Every instant must survive a round trip through PostgreSQL, protobuf and ISO-8601 text.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
# How much of a refused value an error message repeats: enough to recognise it, never a payload.
SHOWN = 64


def shown(value: object) -> str:
    """`repr(value)`, cut to about SHOWN characters so an error never echoes a huge input."""
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}… ({len(text)} characters)"


def positive_amount(field: str, value: object) -> int:
    """A whole number of credits in [1, MAX_AMOUNT] (bool is an int to Python, not to us)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_AMOUNT:
        raise InvalidAmount(field, shown(value))
    return value


def identifier(field: str, value: object) -> str:
    """1 to MAX_ID printable characters without outer spaces, so retries compare byte for byte."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        raise InvalidValue(
            field, f"must be 1 to {MAX_ID} characters, got {shown(value)}", reason="INVALID_ID"
        )
    if not value.isprintable() or value.strip() != value:
        raise InvalidValue(
            field,
            f"must be printable, without control characters or outer spaces: {shown(value)}",
            reason="INVALID_ID",
        )
    return value


def text(field: str, value: object) -> str:
    """Free text such as a source, reference or reason: may be empty; no NUL; at most MAX_TEXT."""
    if not isinstance(value, str):
        raise InvalidValue(field, f"must be a string, got {shown(value)}", reason="INVALID_TEXT")
    if len(value) > MAX_TEXT:
        raise InvalidValue(
            field,
            f"must be at most {MAX_TEXT} characters, got {len(value)}",
            reason="INVALID_TEXT",
        )
    if "\x00" in value:
        raise InvalidValue(field, "must not contain NUL characters", reason="INVALID_TEXT")
    return value


def whole_number(field: str, value: object, *, bound: int = 2**31 - 1) -> int:
    """An integer within ±bound, such as a grant's priority."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > bound:
        raise InvalidValue(
            field,
            f"must be an integer within ±{bound}, got {shown(value)}",
            reason="INVALID_NUMBER",
        )
    return value


def instant(field: str, value: object) -> datetime:
    """A timezone-aware time in years 1970 to 9999, normalised to UTC so equal instants compare equal."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue(
            field, f"must be a timezone-aware datetime, got {shown(value)}", reason="INVALID_TIME"
        )
    normalised = value.astimezone(UTC)
    if not EARLIEST <= normalised <= LATEST:
        raise InvalidValue(
            field,
            f"must lie in the years 1970 to 9999, got {normalised.isoformat()}",
            reason="INVALID_TIME",
        )
    return normalised


def optional_instant(field: str, value: object) -> datetime | None:
    """An instant, or None for "never"."""
    return None if value is None else instant(field, value)


def positive_ttl(field: str, value: object, *, longest: timedelta) -> timedelta:
    """A positive duration no longer than `longest` (which also keeps `now + ttl` in range)."""
    if not isinstance(value, timedelta) or not timedelta(0) < value <= longest:
        raise InvalidValue(
            field, f"must be a duration in (0, {longest}], got {shown(value)}", reason="INVALID_TTL"
        )
    return value


def seconds_and_nanos(field: str, seconds: int, nanos: int, *, longest: timedelta) -> timedelta:
    """A protobuf Duration's parts as a ttl, refused (never overflowing) when out of range."""
    limit = math.ceil(longest.total_seconds())
    # A valid Duration's nanos carry the sign of its seconds.
    signs_agree = seconds == 0 or nanos == 0 or (seconds > 0) == (nanos > 0)
    if not (-limit <= seconds <= limit and -999_999_999 <= nanos <= 999_999_999 and signs_agree):
        raise InvalidValue(
            field,
            f"must be a duration in (0, {longest}], got {shown(seconds)} s {shown(nanos)} ns",
            reason="INVALID_TTL",
        )
    return positive_ttl(
        field, timedelta(seconds=seconds, microseconds=nanos // 1000), longest=longest
    )


def rollback_reason(field: str, value: object) -> RollbackReason:
    """One of the known rollback reasons."""
    try:
        return RollbackReason(value if isinstance(value, str) else repr(value))
    except ValueError:
        known = ", ".join(reason.value for reason in RollbackReason)
        raise InvalidValue(
            field, f"must be one of {known}, got {shown(value)}", reason="INVALID_REASON"
        ) from None
