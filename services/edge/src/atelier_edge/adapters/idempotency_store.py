"""Idempotency records of generation POSTs: claimed before the backend call, finished after it.

The claim is one INSERT, so two replicas of the edge that receive the same key at once agree on
which one goes on; the other sees the record in flight.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from atelier_runtime.db import DbPool


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: call the backend, then finish or release."""


@dataclass(frozen=True)
class InFlight:
    """Another request with this key and body is still being answered."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used before with another body."""


@dataclass(frozen=True)
class Stored:
    """The key's request was answered before: the same answer again."""

    status_code: int
    response: dict[str, Any]


Claim = Claimed | InFlight | Mismatch | Stored


class IdempotencyStore:
    def __init__(self, pool: DbPool, stale_after_s: float) -> None:
        self._pool = pool
        self._stale_after_s = stale_after_s

    async def claim(self, account_id: str, key: str, fingerprint: str) -> Claim:
        # A record left in flight by a request that died is taken over once stale.
        row = await self._pool.fetchrow(
            """
            INSERT INTO idempotency_records (account_id, key, fingerprint, state)
            VALUES ($1, $2, $3, 'in_flight')
            ON CONFLICT (account_id, key) DO UPDATE SET updated_at = now()
                WHERE idempotency_records.state = 'in_flight'
                  AND idempotency_records.fingerprint = excluded.fingerprint
                  AND idempotency_records.updated_at < now() - make_interval(secs => $4)
            RETURNING key
            """,
            account_id, key, fingerprint, self._stale_after_s,
        )  # fmt: skip
        if row is not None:
            return Claimed()
        existing = await self._pool.fetchrow(
            """
            SELECT fingerprint, state, status_code, response FROM idempotency_records
            WHERE account_id = $1 AND key = $2
            """,
            account_id,
            key,
        )
        if existing is None:  # released between our INSERT and SELECT: try once more
            return await self.claim(account_id, key, fingerprint)
        if existing["fingerprint"] != fingerprint:
            return Mismatch()
        if existing["state"] == "in_flight":
            return InFlight()
        return Stored(existing["status_code"], json.loads(existing["response"]))

    async def finish(
        self, account_id: str, key: str, status_code: int, response: dict[str, Any]
    ) -> None:
        await self._pool.execute(
            """
            UPDATE idempotency_records
            SET state = 'done', status_code = $3, response = $4::jsonb, updated_at = now()
            WHERE account_id = $1 AND key = $2
            """,
            account_id, key, status_code, json.dumps(response),
        )  # fmt: skip

    async def release(self, account_id: str, key: str) -> None:
        """Forgets a claim whose outcome is unknown (backend unreachable), so a retry may run."""
        await self._pool.execute(
            "DELETE FROM idempotency_records WHERE account_id = $1 AND key = $2 AND state = 'in_flight'",
            account_id,
            key,
        )
