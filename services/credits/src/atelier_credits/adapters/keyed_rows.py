"""Rows of a server-side cursor ordered by a key, taken one key at a time (bounded memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg


class KeyedRows:
    """Groups consecutive rows with equal `key` column; several can be merged by key."""

    def __init__(self, rows: AsyncIterator[asyncpg.Record], key: str) -> None:
        self._rows = rows
        self._key = key
        self._head: asyncpg.Record | None = None
        self._exhausted = False

    async def next_key(self) -> Any | None:
        """The key of the next group, or None when the rows are exhausted."""
        head = await self._peek()
        return None if head is None else head[self._key]

    async def take(self, key: Any) -> list[asyncpg.Record]:
        """The rows of `key` if the next group has that key, else none (nothing is skipped)."""
        group: list[asyncpg.Record] = []
        while (head := await self._peek()) is not None and head[self._key] == key:
            group.append(head)
            self._head = None
        return group

    async def _peek(self) -> asyncpg.Record | None:
        if self._head is None and not self._exhausted:
            try:
                self._head = await anext(self._rows)
            except StopAsyncIteration:
                self._exhausted = True
        return self._head
