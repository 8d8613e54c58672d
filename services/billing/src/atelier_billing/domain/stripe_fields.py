"""Reading Stripe JSON defensively: a missing or oddly typed field reads as absent, never raises.

Stripe moves fields between API versions (2025-03-31 "basil" moved several under `parent` and
`pricing`), so callers try each known location in turn with `first`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")
JsonObject = Mapping[str, Any]
Path = tuple[str | int, ...]

# Stripe ids are short (`sub_1Q...`); anything else is not one, and would not fit a grant id.
MAX_STRIPE_ID = 100
# Account ids come from our own metadata; bounded so `free:<account>:<date>` stays a valid id.
MAX_ACCOUNT_ID = 128
# Lists are read up to here: an invoice has a handful of lines, a charge a handful of refunds.
MAX_ITEMS = 100
# Far above any amount in cents or any Unix time Stripe sends.
MAX_INT = 10**15
_LATEST_UNIX_S = 253_402_300_799  # 9999-12-31T23:59:59Z


def at(value: object, *path: str | int) -> object:
    """The value at `path`, or None when any step is missing or of the wrong kind."""
    for step in path:
        if isinstance(step, str) and isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def first(read: Callable[[object], T | None], source: object, *paths: Path) -> T | None:
    """The first path at which `read` finds a value."""
    for path in paths:
        found = read(at(source, *path))
        if found is not None:
            return found
    return None


def as_object(value: object) -> JsonObject | None:
    return value if isinstance(value, Mapping) else None


def as_objects(value: object) -> list[JsonObject]:
    """The mappings of a list (or of a Stripe list object's `data`), at most MAX_ITEMS."""
    items = at(value, "data") if isinstance(value, Mapping) else value
    if not isinstance(items, list):
        return []
    return [item for item in items[:MAX_ITEMS] if isinstance(item, Mapping)]


def as_int(value: object) -> int | None:
    """An integer within ±MAX_INT: amounts and times, never past what a bigint column holds."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT:
        return value
    return None


def as_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def as_text(value: object, *, longest: int = 1_000) -> str | None:
    """A non-empty string without NUL, at most `longest` characters."""
    if isinstance(value, str) and 0 < len(value) <= longest and "\x00" not in value:
        return value
    return None


def as_stripe_id(value: object) -> str | None:
    """An id, given as a string or as an expanded object carrying it."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, str) and _is_token(value, MAX_STRIPE_ID):
        return value
    return None


def as_account_id(value: object) -> str | None:
    """An account id: 1 to MAX_ACCOUNT_ID printable characters, no outer spaces."""
    if (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ACCOUNT_ID
        and value.isprintable()
        and value.strip() == value
    ):
        return value
    return None


def as_instant(value: object) -> datetime | None:
    """Unix seconds as an aware datetime, within 1970 to 9999."""
    seconds = as_int(value)
    if seconds is None or not 0 <= seconds <= _LATEST_UNIX_S:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def unique(values: Iterable[T | None]) -> tuple[T, ...]:
    """The values that are present, first occurrence kept."""
    return tuple(dict.fromkeys(v for v in values if v is not None))


def _is_token(text: str, longest: int) -> bool:
    return 0 < len(text) <= longest and text.isascii() and text.isprintable() and " " not in text
