"""The credits event store on PostgreSQL (asyncpg), in eventsourcing's table layout.

`current` is one statement: for each account, the events after the version a process has
cached (or, for an account not cached or far behind, its latest snapshot and the events after
it), plus the receipts asked for, all from one snapshot of the database. A cached copy is thus
brought up to the latest committed version in the same round trip that checks it.

An append of several accounts is one statement, hence one transaction: their events, their
receipts, their balance rows and any due snapshots commit together. The primary keys
(originator_id, originator_version) and (aggregate_id, kind, op_id) are the optimistic
concurrency check: a stale aggregate, or a second fact for one operation id, fails the append.
One statement rather than BEGIN, several inserts and COMMIT, because round trips, not
PostgreSQL, are what a batch spends most of its time on.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

from atelier_credits.adapters.balance_table import balance_columns, upsert_statement
from atelier_credits.adapters.store_errors import database_errors
from atelier_credits.application.ports import (
    NO_TRACES,
    ConcurrencyConflict,
    Current,
    TraceContexts,
)
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.history import Kind, Receipt, ReceiptKey
from atelier_credits.domain.replay import replay
from atelier_runtime.db import DbPool

_APPEND = f"""
WITH appended AS (
    INSERT INTO credits_events (originator_id, originator_version, topic, state, trace_context)
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[], $5::text[])
), snapshotted AS (
    INSERT INTO credits_snapshots (originator_id, originator_version, topic, state)
    SELECT * FROM unnest($6::uuid[], $7::bigint[], $8::text[], $9::bytea[])
    ON CONFLICT DO NOTHING
), receipted AS (
    INSERT INTO credits_receipts (aggregate_id, kind, op_id, version, body)
    SELECT * FROM unnest($10::uuid[], $11::text[], $12::text[], $13::bigint[], $14::bytea[])
)
{upsert_statement(first_parameter=15)}
"""
# $1: aggregate ids, $2: the version each process holds (-1: none), $3-$5: receipt keys.
# A held copy further behind than its latest snapshot starts from that snapshot instead.
_CURRENT = """
WITH wanted AS (
    SELECT w.id, w.held, s.originator_version AS snapshot_version, s.topic, s.state,
           (w.held < 0 OR s.originator_version > w.held) AS from_snapshot
    FROM unnest($1::uuid[], $2::bigint[]) AS w(id, held)
    LEFT JOIN LATERAL (
        SELECT originator_version, topic, state FROM credits_snapshots
        WHERE originator_id = w.id ORDER BY originator_version DESC LIMIT 1
    ) s ON true
)
SELECT 0 AS part, id, snapshot_version AS version, topic, state, NULL::text AS op_id
FROM wanted WHERE from_snapshot AND snapshot_version IS NOT NULL
UNION ALL
SELECT 1, e.originator_id, e.originator_version, e.topic, e.state, NULL
FROM wanted w JOIN credits_events e ON e.originator_id = w.id
    AND e.originator_version > CASE WHEN w.from_snapshot THEN coalesce(w.snapshot_version, 0)
                                    ELSE w.held END
UNION ALL
SELECT 2, r.aggregate_id, r.version, r.kind, r.body, r.op_id
FROM unnest($3::uuid[], $4::text[], $5::text[]) AS k(id, kind, op_id)
JOIN credits_receipts r ON (r.aggregate_id, r.kind, r.op_id) = (k.id, k.kind, k.op_id)
ORDER BY 1, 2, 3
"""
# A snapshot holds only live state, so a fixed spacing keeps both its cost and a cold load's
# replay bounded, however long the stream.
DEFAULT_SNAPSHOT_EVERY = 200
# Each sweep round takes at most this many due accounts; the rest stay due for the next.
SWEEP_ROUND_LIMIT = 1_000
_CLASHING_ID = re.compile(r"\(([0-9a-f-]{36})")


def _stored(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(
        originator_id=row["id"],
        originator_version=row["version"],
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
    """Loads and appends CreditAccount streams with their receipts; snapshots every
    `snapshot_every` events."""

    def __init__(
        self, pool: DbPool, mapper: Mapper[UUID], *, snapshot_every: int = DEFAULT_SNAPSHOT_EVERY
    ) -> None:
        self._pool = pool
        self._mapper = mapper
        self._snapshot_every = snapshot_every

    async def get(self, account_id: str) -> CreditAccount | None:
        """The account at its latest version, or None if it was never opened."""
        return (await self.current({account_id: None}, {}))[account_id].account

    async def current(
        self,
        known: Mapping[str, CreditAccount | None],
        receipt_keys: Mapping[str, Sequence[ReceiptKey]],
    ) -> dict[str, Current]:
        ids = {CreditAccount.id_for(account_id): account_id for account_id in known}
        if not ids:
            return {}
        held = [known[a].version if known[a] is not None else -1 for a in ids.values()]  # type: ignore[union-attr]
        keys = [(CreditAccount.id_for(a), k) for a, ks in receipt_keys.items() for k in ks]
        async with database_errors(), self._pool.acquire() as conn:
            rows = await conn.fetch(
                _CURRENT,
                list(ids),
                held,
                [aggregate_id for aggregate_id, _ in keys],
                [kind.value for _, (kind, _) in keys],
                [op_id for _, (_, op_id) in keys],
            )
        streams: dict[UUID, list[StoredEvent]] = defaultdict(list)
        receipts: dict[UUID, dict[ReceiptKey, Receipt]] = defaultdict(dict)
        for row in rows:
            if row["part"] == 2:
                key = (Kind(row["topic"]), row["op_id"])
                receipts[row["id"]][key] = self._mapper.transcoder.decode(bytes(row["state"]))
            else:
                streams[row["id"]].append(_stored(row))
        return {
            account_id: Current(
                self._bring_up_to_date(known[account_id], streams[aggregate_id]),
                receipts[aggregate_id],
            )
            for aggregate_id, account_id in ids.items()
        }

    def _bring_up_to_date(
        self, held: CreditAccount | None, stored: list[StoredEvent]
    ) -> CreditAccount | None:
        recorded = [self._mapper.to_domain_event(s) for s in stored]
        if held is not None and recorded and isinstance(recorded[0], Snapshot):
            held = None  # far behind: the snapshot replaces the held copy
        return replay(recorded, held)

    async def save(self, account: CreditAccount) -> None:
        await self.save_many([account])

    async def save_many(
        self, accounts: Sequence[CreditAccount], trace_contexts: TraceContexts = NO_TRACES
    ) -> None:
        pending = [(account, list(account.pending_events)) for account in accounts]
        pending = [(account, events) for account, events in pending if events]
        if not pending:
            return
        stored = [self._mapper.to_stored_event(e) for _, events in pending for e in events]
        traces = [
            _trace_text(trace_contexts.get((account.account_id, e.originator_version)))
            for account, events in pending
            for e in events
        ]
        receipts = [
            (account.id, key, account.version, body)
            for account, _ in pending
            for key, body in account.unsaved_receipts.items()
        ]
        snapshots = [
            self._mapper.to_stored_event(_snapshot(account))
            for account, events in pending
            if self._snapshot_due(events[0].originator_version, account.version)
        ]
        balances = balance_columns([account for account, _ in pending])
        async with database_errors(), self._pool.acquire() as conn:
            try:
                await conn.execute(
                    _APPEND,
                    *_columns(stored),
                    traces,
                    *_columns(snapshots),
                    [aggregate_id for aggregate_id, _, _, _ in receipts],
                    [kind.value for _, (kind, _), _, _ in receipts],
                    [op_id for _, (_, op_id), _, _ in receipts],
                    [version for _, _, version, _ in receipts],
                    [self._mapper.transcoder.encode(body) for _, _, _, body in receipts],
                    *balances,
                )
            except asyncpg.UniqueViolationError as clash:
                raise _conflict(clash, [account for account, _ in pending]) from None
        for account, _ in pending:
            account.collect_events()
            account.take_unsaved_receipts()

    def _snapshot_due(self, first_version: int, last_version: int) -> bool:
        """True when the versions appended cross a multiple of the spacing."""
        every = self._snapshot_every
        return every > 0 and (first_version - 1) // every != last_version // every

    async def list_accounts_with_due_expiries(self, now: datetime) -> list[str]:
        async with database_errors(), self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT account_id FROM account_balances WHERE next_expiry <= $1 "
                "ORDER BY next_expiry LIMIT $2",
                now,
                SWEEP_ROUND_LIMIT,
            )
        return [row["account_id"] for row in rows]


def _snapshot(account: CreditAccount) -> Snapshot:
    # Unsaved receipts are saved beside the snapshot, never inside it.
    snapshot = Snapshot.take(account)
    snapshot.state["unsaved_receipts"] = {}
    return snapshot


def _trace_text(headers: Mapping[str, str] | None) -> str | None:
    return json.dumps(dict(headers)) if headers else None


def _conflict(
    clash: asyncpg.UniqueViolationError, accounts: Iterable[CreditAccount]
) -> ConcurrencyConflict:
    """Names the account whose event or receipt clashed (the key's first column is its id)."""
    by_id = {str(account.id): account for account in accounts}
    found = _CLASHING_ID.search(getattr(clash, "detail", "") or "")
    account = by_id.get(found.group(1)) if found else None
    account = account or next(iter(by_id.values()))
    return ConcurrencyConflict(
        account.account_id,
        expected_version=account.version - len(account.pending_events),
        stored_version=-1,
    )
