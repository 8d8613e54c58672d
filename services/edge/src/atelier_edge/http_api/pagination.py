"""Query parameters shared by the paginated routes: a page size and an opaque cursor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=100, description="items per page")]
Cursor = Annotated[
    str,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_.:=-]*$",
        description="`next_cursor` of the previous page; empty for the first",
    ),
]


def next_cursor(token: str) -> str | None:
    return token or None
