"""Input files in PostgreSQL: which account owns which uploaded input."""

from __future__ import annotations

from datetime import datetime

from atelier_runtime.db import DbPool


async def insert(
    pool: DbPool,
    *,
    media_id: str,
    account_id: str,
    content_type: str,
    size: int,
    key: str,
    created_at: datetime,
) -> None:
    await pool.execute(
        """
        INSERT INTO input_media (media_id, account_id, content_type, size, object_key, created_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        media_id, account_id, content_type, size, key, created_at,
    )  # fmt: skip
