"""API keys in the edge's database: the hash, never the key, with its account and state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from atelier_edge.domain.api_keys import NewKey
from atelier_runtime.db import DbPool


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    account_id: str
    hint: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


class KeyStore:
    def __init__(self, pool: DbPool) -> None:
        self._pool = pool

    async def add(self, account_id: str, key: NewKey, name: str) -> StoredKey:
        row = await self._pool.fetchrow(
            """
            INSERT INTO api_keys (key_id, account_id, digest, hint, name) VALUES ($1, $2, $3, $4, $5)
            RETURNING key_id, account_id, hint, name, created_at, last_used_at
            """,
            key.key_id, account_id, key.digest, key.hint, name,
        )  # fmt: skip
        assert row is not None
        return StoredKey(**dict(row))

    async def account_of(self, digest: str) -> str | None:
        """The account of a live key with this hash; marks the key used (at most once a minute)."""
        row = await self._pool.fetchrow(
            """
            UPDATE api_keys SET last_used_at = now()
            WHERE digest = $1 AND revoked_at IS NULL
              AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            RETURNING account_id
            """,
            digest,
        )
        if row is not None:
            return str(row["account_id"])
        account: str | None = await self._pool.fetchval(
            "SELECT account_id FROM api_keys WHERE digest = $1 AND revoked_at IS NULL", digest
        )
        return account

    async def live(self, account_id: str) -> list[StoredKey]:
        rows = await self._pool.fetch(
            """
            SELECT key_id, account_id, hint, name, created_at, last_used_at FROM api_keys
            WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, key_id
            """,
            account_id,
        )
        return [StoredKey(**dict(row)) for row in rows]

    async def revoke(self, account_id: str, key_id: str) -> bool:
        """True when the account had this key live (a second revoke answers False)."""
        done = await self._pool.execute(
            """
            UPDATE api_keys SET revoked_at = now()
            WHERE key_id = $1 AND account_id = $2 AND revoked_at IS NULL
            """,
            key_id,
            account_id,
        )
        return done.endswith(" 1")
