"""Bounds on client JSON before it travels on: nesting depth, and no NUL in any text.

PostgreSQL's jsonb refuses NUL in strings and deep structures cost every parser on the way
stack or time, so both are refused at the door, naming where.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32


def check_json_shape(value: Any) -> None:
    """Raises ValueError naming the first problem; iterative, so depth cannot exhaust the stack."""
    pending: list[tuple[Any, int, str]] = [(value, 0, "")]
    while pending:
        item, depth, path = pending.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels at {path or 'the top'}")
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError(f"contains a NUL character{' at ' + path if path else ''}")
        elif isinstance(item, dict):
            for key, inner in item.items():
                pending.append((str(key), depth + 1, f"{path}.{key}"[:200]))
                pending.append((inner, depth + 1, f"{path}.{key}"[:200]))
        elif isinstance(item, list):
            pending.extend((inner, depth + 1, f"{path}[{i}]"[:200]) for i, inner in enumerate(item))
