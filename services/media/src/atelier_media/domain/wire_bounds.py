"""Bounds on ids that arrive from other services or callers: printable, short, no NUL."""

from __future__ import annotations

MAX_ID = 200


def is_bounded_id(value: str) -> bool:
    return (
        0 < len(value) <= MAX_ID
        and value == value.strip()
        and value.isprintable()
        and "/" not in value
    )


def bounded_id(field: str, value: str) -> str:
    if not is_bounded_id(value):
        raise ValueError(
            f"{field} must be 1 to {MAX_ID} printable characters without '/' or outer spaces"
        )
    return value
