"""Reads an account's statement lines, newest first, a page at a time (keyset pagination)."""

from __future__ import annotations

from atelier_credits.domain.statement import StatementLine
from atelier_runtime.db import DbPool
from atelier_runtime.errors import InvalidArgument

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


# Tokens are stream versions in decimal; anything longer cannot be a bigint this service issued.
_LONGEST_TOKEN = 18


def _before_version(page_token: str) -> int | None:
    if not page_token:
        return None
    if not (page_token.isascii() and page_token.isdigit() and len(page_token) <= _LONGEST_TOKEN):
        raise InvalidArgument(
            "page_token is not one this service issued",
            reason="INVALID_PAGE_TOKEN",
            metadata={"field": "page_token"},
        )
    return int(page_token)


class StatementReader:
    """Statement pages from the `statement_lines` projection."""

    def __init__(self, pool: DbPool) -> None:
        self._pool = pool

    async def page(
        self, account_id: str, page_size: int, page_token: str
    ) -> tuple[list[StatementLine], str]:
        """Lines older than the token, newest first, and the token of the next page ("" at the end)."""
        if page_size < 0:
            raise InvalidArgument(
                "page_size must not be negative",
                reason="INVALID_PAGE_SIZE",
                metadata={"field": "page_size"},
            )
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        before = _before_version(page_token)
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                """
                SELECT version, kind, entry_id, amount, available_after, frozen_after, reference, occurred_at
                FROM statement_lines
                WHERE account_id = $1 AND ($2::bigint IS NULL OR version < $2)
                ORDER BY version DESC LIMIT $3
                """,
                account_id,
                before,
                size + 1,
            )
        entries = [StatementLine(**dict(row)) for row in rows[:size]]
        next_token = str(entries[-1].version) if len(rows) > size else ""
        return entries, next_token
