"""Checks on DeadLetterService requests at the door: each refusal names its field."""

from __future__ import annotations

from atelier_runtime.errors import InvalidArgument

# Origins are durable names and relay sources: short by nature.
MAX_ORIGIN = 200
DEFAULT_PAGE = 50
MAX_PAGE = 500
# How much of a refused value a message repeats: enough to recognise it, never a payload.
_SHOWN = 64


def _refuse(field: str, problem: str) -> InvalidArgument:
    return InvalidArgument(
        f"{field} {problem}", reason="INVALID_ARGUMENT", metadata={"field": field}
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}… ({len(text)} characters)"


def letter_id(value: int, field: str = "id") -> int:
    if value <= 0:
        raise _refuse(field, f"must be a dead letter's id (a positive number), got {value}")
    return value


def after_id(value: int) -> int:
    if value < 0:
        raise _refuse("after_id", f"must not be negative, got {value}")
    return value


def origin(value: str) -> str:
    """1 to MAX_ORIGIN printable characters: a consumer's durable name or `relay:<source>`."""
    if not 0 < len(value) <= MAX_ORIGIN or not value.isprintable():
        raise _refuse(
            "origin", f"must be 1 to {MAX_ORIGIN} printable characters, got {_shown(value)}"
        )
    return value


def page_size(value: int) -> int:
    """0 asks for the default; more than MAX_PAGE gets MAX_PAGE."""
    if value < 0:
        raise _refuse("page_size", f"must not be negative, got {value}")
    return min(value, MAX_PAGE) or DEFAULT_PAGE


def page_token(value: str) -> int:
    """The id the previous page ended at; empty for the first page."""
    if not value:
        return 0
    if not (value.isascii() and value.isdigit() and len(value) <= 19):
        raise _refuse("page_token", f"is not a token this service issued: {_shown(value)}")
    return int(value)


def page_token_after(last_id: int) -> str:
    return str(last_id)
