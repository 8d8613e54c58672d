"""The `stripe_events` table: stored once by id, claimed by one worker at a time, settled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from atelier_billing.domain.dispositions import Disposition
from atelier_billing.domain.stripe_event import StripeEvent
from atelier_runtime.db import DbConnection

# A failing event waits longer after each try, up to this, so one bad event never spins.
_MAX_BACKOFF_S = 300


@dataclass(frozen=True)
class ClaimedEvent:
    seq: int
    event_id: str
    body: bytes
    attempts: int


@dataclass(frozen=True)
class StuckEvent:
    seq: int
    event_id: str
    type: str
    object_id: str
    state: str
    reason: str
    waiting_for: tuple[str, ...]
    received_at: datetime
    attempts: int


async def store(conn: DbConnection, event: StripeEvent, body: bytes) -> bool:
    """Stores the event unless its id is stored already; True when this call stored it."""
    stored = await conn.fetchval(
        """
        INSERT INTO stripe_events (event_id, type, object_id, stripe_created_at, body)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (event_id) DO NOTHING
        RETURNING true
        """,
        event.event_id,
        event.type,
        event.object_id,
        event.created,
        body,
    )
    return bool(stored)


async def claim_next(conn: DbConnection) -> ClaimedEvent | None:
    """The oldest due pending event, locked for this transaction; others skip it."""
    row = await conn.fetchrow(
        """
        SELECT seq, event_id, body, attempts FROM stripe_events
        WHERE state = 'pending' AND next_attempt_at <= now()
        ORDER BY seq
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """
    )
    if row is None:
        return None
    return ClaimedEvent(row["seq"], row["event_id"], bytes(row["body"]), row["attempts"])


async def settle(conn: DbConnection, event_id: str, disposition: Disposition) -> None:
    await conn.execute(
        """
        UPDATE stripe_events
        SET state = $2, reason = $3, waiting_for = $4, processed_at = now()
        WHERE event_id = $1
        """,
        event_id,
        disposition.state,
        disposition.reason,
        list(disposition.waiting_for),
    )


async def record_failure(
    conn: DbConnection, event_id: str, error: str, *, max_attempts: int
) -> None:
    """Counts a failed try; after `max_attempts` the event is `failed` and waits for a replay."""
    await conn.execute(
        """
        UPDATE stripe_events
        SET attempts = attempts + 1,
            reason = $2,
            state = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE state END,
            next_attempt_at = now() + least(power(2, attempts + 1), $4) * interval '1 second'
        WHERE event_id = $1
        """,
        event_id,
        error,
        max_attempts,
        _MAX_BACKOFF_S,
    )


async def wake_waiting(conn: DbConnection, keys: Sequence[str]) -> int:
    """Puts back in the queue every parked event waiting for one of `keys`; returns how many."""
    if not keys:
        return 0
    result = await conn.execute(
        """
        UPDATE stripe_events SET state = 'pending', next_attempt_at = now()
        WHERE state = 'parked' AND waiting_for && $1::text[]
        """,
        list(keys),
    )
    return int(result.split()[-1])


async def ignored_object(conn: DbConnection, object_id: str, event_type: str) -> bool:
    """True when an event of `event_type` about `object_id` was settled as ignored."""
    found = await conn.fetchval(
        """
        SELECT true FROM stripe_events
        WHERE object_id = $1 AND type = $2 AND state = 'ignored' LIMIT 1
        """,
        object_id,
        event_type,
    )
    return bool(found)


async def requeue_all(conn: DbConnection) -> int:
    """Every stored event back to pending, for a replay; returns how many."""
    result = await conn.execute(
        """
        UPDATE stripe_events
        SET state = 'pending', attempts = 0, next_attempt_at = now(), reason = '',
            waiting_for = '{}'
        """
    )
    return int(result.split()[-1])


async def count_by_state(conn: DbConnection, up_to_seq: int) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT state, count(*) AS n FROM stripe_events WHERE seq <= $1 GROUP BY state",
        up_to_seq,
    )
    return {row["state"]: row["n"] for row in rows}


async def last_seq(conn: DbConnection) -> int:
    return int(await conn.fetchval("SELECT coalesce(max(seq), 0) FROM stripe_events"))


async def stuck_page(conn: DbConnection, after_seq: int, limit: int) -> list[StuckEvent]:
    """Parked and failed events after `after_seq`, oldest first."""
    rows = await conn.fetch(
        """
        SELECT seq, event_id, type, object_id, state, reason, waiting_for, received_at, attempts
        FROM stripe_events
        WHERE state IN ('parked', 'failed') AND seq > $1
        ORDER BY seq
        LIMIT $2
        """,
        after_seq,
        limit,
    )
    return [_stuck(row) for row in rows]


def _stuck(row: asyncpg.Record) -> StuckEvent:
    return StuckEvent(
        seq=row["seq"],
        event_id=row["event_id"],
        type=row["type"],
        object_id=row["object_id"],
        state=row["state"],
        reason=row["reason"],
        waiting_for=tuple(row["waiting_for"]),
        received_at=row["received_at"],
        attempts=row["attempts"],
    )
