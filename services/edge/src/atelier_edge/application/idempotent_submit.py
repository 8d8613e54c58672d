"""A generation POST answered once per Idempotency-Key: a repeat gets the stored answer, the
same key with another body is refused, and a repeat while the first is running is told so.

Generation is idempotent by key too, but answers a repeat only once the first has been
recorded; the edge's record adds what a client needs around it (the in-flight refusal, the
stored refusal of a request that could not be paid for).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from atelier_edge.adapters.idempotency_store import (
    Claimed,
    IdempotencyStore,
    InFlight,
    Mismatch,
    Stored,
)

# Answers that depend only on the request and what the backends recorded for it: a repeat
# must get them again. Anything else (a backend unreachable, a bug) is forgotten so a retry runs.
_FINAL = frozenset({202, 402, 404, 422})


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


class KeyInFlight(Exception):
    """The first request with this key has not been answered yet."""


class KeyReused(Exception):
    """The key was used before with a different body."""


class IdempotentSubmit:
    def __init__(self, store: IdempotencyStore) -> None:
        self._store = store

    async def __call__(
        self,
        account_id: str,
        key: str,
        fingerprint: str,
        attempt: Callable[[], Awaitable[Outcome]],
    ) -> Outcome:
        claim = await self._store.claim(account_id, key, fingerprint)
        if isinstance(claim, InFlight):
            raise KeyInFlight(key)
        if isinstance(claim, Mismatch):
            raise KeyReused(key)
        if isinstance(claim, Stored):
            return Outcome(claim.status_code, claim.response, replayed=True)
        assert isinstance(claim, Claimed)
        try:
            outcome = await attempt()
        except BaseException:
            await self._store.release(account_id, key)
            raise
        if outcome.status in _FINAL:
            await self._store.finish(account_id, key, outcome.status, outcome.body)
        else:
            await self._store.release(account_id, key)
        return outcome
