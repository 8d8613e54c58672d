"""`account_links`: which account a subscription or a customer belongs to, once learned."""

from __future__ import annotations

from collections.abc import Sequence

from atelier_runtime.db import DbConnection


async def account_for(conn: DbConnection, keys: Sequence[str]) -> str | None:
    """The account linked to the first of `keys` that has one."""
    if not keys:
        return None
    account: str | None = await conn.fetchval(
        """
        SELECT account_id FROM account_links WHERE link = ANY($1::text[])
        ORDER BY array_position($1::text[], link) LIMIT 1
        """,
        list(keys),
    )
    return account


async def link(conn: DbConnection, account_id: str, keys: Sequence[str]) -> None:
    """Links each key to the account; a key linked before keeps its first account."""
    if keys:
        await conn.execute(
            """
            INSERT INTO account_links (link, account_id)
            SELECT k, $2 FROM unnest($1::text[]) AS k
            ON CONFLICT (link) DO NOTHING
            """,
            list(keys),
            account_id,
        )
