"""The credits event store on PostgreSQL (asyncpg), in eventsourcing's table layout.

An append of several accounts is one statement, hence one transaction: their events, their
balance rows and any due snapshots commit together, and the primary key (originator_id,
originator_version) is the optimistic-concurrency check: a stale aggregate fails the whole
append, reloads and retries. One statement rather than BEGIN, three inserts and COMMIT, because
round trips, not PostgreSQL, are what a batch spends most of its time on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

from atelier_credits.adapters.balance_table import balance_columns, upsert_statement
from atelier_credits.application.ports import ConcurrencyConflict
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.replay import replay
from atelier_runtime.db import DbPool

_APPEND = f"""
WITH appended AS (
    INSERT INTO credits_events (originator_id, originator_version, topic, state)
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])
), snapshotted AS (
    INSERT INTO credits_snapshots (originator_id, originator_version, topic, state)
    SELECT * FROM unnest($5::uuid[], $6::bigint[], $7::text[], $8::bytea[])
    ON CONFLICT DO NOTHING
)
{upsert_statement(first_parameter=9)}
"""
# A snapshot copies the account's whole state, which grows with its stream (every freeze id stays
# for idempotency); so snapshots are spaced in proportion to the version once that is large, at
# about this many per doubling, which keeps their cost per event flat and a load's replay short.
SNAPSHOTS_PER_DOUBLING = 8
_LATEST_SNAPSHOTS = """
SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic, state
FROM credits_snapshots WHERE originator_id = ANY($1::uuid[])
ORDER BY originator_id, originator_version DESC
"""
_EVENTS_AFTER = """
SELECT e.originator_id, e.originator_version, e.topic, e.state
FROM credits_events e
JOIN unnest($1::uuid[], $2::bigint[]) AS after(id, version) ON e.originator_id = after.id
WHERE e.originator_version > after.version
ORDER BY e.originator_id, e.originator_version
"""


def _stored(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def _columns(stored: Sequence[StoredEvent]) -> list[list[Any]]:
    return [
        [s.originator_id for s in stored],
        [s.originator_version for s in stored],
        [s.topic for s in stored],
        [s.state for s in stored],
    ]


class PostgresAccountStore:
    """Loads and appends CreditAccount streams; snapshots every `snapshot_every` events."""

    def __init__(self, pool: DbPool, mapper: Mapper[UUID], *, snapshot_every: int = 200) -> None:
        self._pool = pool
        self._mapper = mapper
        self._snapshot_every = snapshot_every

    async def get(self, account_id: str) -> CreditAccount | None:
        return (await self.get_many([account_id])).get(account_id)

    async def get_many(self, account_ids: Iterable[str]) -> dict[str, CreditAccount]:
        """Each account at its latest version (latest snapshot, then the events after it)."""
        ids = {CreditAccount.id_for(account_id): account_id for account_id in account_ids}
        if not ids:
            return {}
        async with self._pool.acquire() as conn:
            snapshots = {
                r["originator_id"]: _stored(r)
                for r in await conn.fetch(_LATEST_SNAPSHOTS, list(ids))
            }
            after = [snapshots[i].originator_version if i in snapshots else 0 for i in ids]
            rows = await conn.fetch(_EVENTS_AFTER, list(ids), after)
        events: dict[UUID, list[StoredEvent]] = defaultdict(list)
        for row in rows:
            events[row["originator_id"]].append(_stored(row))
        loaded: dict[str, CreditAccount] = {}
        for aggregate_id, account_id in ids.items():
            # The latest snapshot, if any, replays first: it stands for every event before it.
            stored = [
                *([snapshots[aggregate_id]] if aggregate_id in snapshots else []),
                *events[aggregate_id],
            ]
            account = replay(self._mapper.to_domain_event(s) for s in stored)
            if account is not None:
                loaded[account_id] = account
        return loaded

    async def save(self, account: CreditAccount) -> None:
        await self.save_many([account])

    async def save_many(self, accounts: Sequence[CreditAccount]) -> None:
        """Appends every account's pending events in one transaction, or none of them."""
        pending = [(account, account.collect_events()) for account in accounts]
        pending = [(account, events) for account, events in pending if events]
        if not pending:
            return
        stored = [self._mapper.to_stored_event(e) for _, events in pending for e in events]
        snapshots = [
            self._mapper.to_stored_event(Snapshot.take(account))
            for account, events in pending
            if self._snapshot_due(events[0].originator_version, account.version)
        ]
        balances = balance_columns([account for account, _ in pending])
        async with self._pool.acquire() as conn:
            try:
                await conn.execute(_APPEND, *_columns(stored), *_columns(snapshots), *balances)
            except asyncpg.UniqueViolationError:
                first, events = pending[0]
                raise ConcurrencyConflict(
                    first.account_id,
                    expected_version=events[0].originator_version - 1,
                    stored_version=-1,
                ) from None

    def _snapshot_due(self, first_version: int, last_version: int) -> bool:
        """True when the versions appended cross a multiple of the spacing at `last_version`."""
        every = self._snapshot_every
        if every <= 0:
            return False
        octave = 1 << (max(last_version, 1).bit_length() - 1)
        spacing = max(every, octave // SNAPSHOTS_PER_DOUBLING)
        return (first_version - 1) // spacing != last_version // spacing

    async def list_accounts_with_due_expiries(self, now: datetime) -> list[str]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT account_id FROM account_balances WHERE next_expiry <= $1 ORDER BY next_expiry",
                now,
            )
        return [row["account_id"] for row in rows]
