"""Checks on command arguments, run before anything is decided or recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from atelier_credits.domain.errors import InvalidAmount, InvalidValue
from atelier_credits.domain.values import RollbackReason

# Far above any real grant, far below int64 sums: balances stay exact in every store.
MAX_AMOUNT = 10**12
# Ids are saga keys (generation ids, Stripe object ids, day keys): short by nature.
MAX_ID = 200


def positive_amount(field: str, value: object) -> int:
    """A whole number of credits in [1, MAX_AMOUNT] (bool is an int to Python, not to us)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_AMOUNT:
        raise InvalidAmount(field, value)
    return value


def identifier(field: str, value: object) -> str:
    """A non-empty id without surrounding whitespace, so retries compare byte for byte."""
    if not isinstance(value, str) or not value or value.strip() != value or len(value) > MAX_ID:
        raise InvalidValue(
            field,
            f"must be 1 to {MAX_ID} characters, no outer spaces: {value!r}",
            reason="INVALID_ID",
        )
    return value


def text(field: str, value: object) -> str:
    """Free text such as a source, reference or reason; may be empty."""
    if not isinstance(value, str):
        raise InvalidValue(field, f"must be a string, got {value!r}", reason="INVALID_TEXT")
    return value


def whole_number(field: str, value: object) -> int:
    """Any integer, such as a grant's priority."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(field, f"must be an integer, got {value!r}", reason="INVALID_NUMBER")
    return value


def instant(field: str, value: object) -> datetime:
    """A timezone-aware time, normalised to UTC so equal instants compare and print equal."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue(
            field, f"must be a timezone-aware datetime, got {value!r}", reason="INVALID_TIME"
        )
    return value.astimezone(UTC)


def optional_instant(field: str, value: object) -> datetime | None:
    """An instant, or None for "never"."""
    return None if value is None else instant(field, value)


def positive_ttl(field: str, value: object, *, longest: timedelta) -> timedelta:
    """A positive duration no longer than `longest` (which also keeps `now + ttl` in range)."""
    if not isinstance(value, timedelta) or not timedelta(0) < value <= longest:
        raise InvalidValue(
            field, f"must be a duration in (0, {longest}], got {value!r}", reason="INVALID_TTL"
        )
    return value


def rollback_reason(field: str, value: object) -> RollbackReason:
    """One of the known rollback reasons."""
    try:
        return RollbackReason(value if isinstance(value, str) else repr(value))
    except ValueError:
        known = ", ".join(reason.value for reason in RollbackReason)
        raise InvalidValue(
            field, f"must be one of {known}, got {value!r}", reason="INVALID_REASON"
        ) from None
