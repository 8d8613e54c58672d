"""The `generations` table: records, optimistic writes, leases, and the account's running slots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from atelier_generation.domain.generation import (
    CreditsState,
    Failure,
    Generation,
    Status,
    StoredOutput,
)
from atelier_runtime.db import DbConnection, DbPool

_COLUMNS = """id, account_id, tool, model, params, cost, status, credits, version, progress,
    provider, provider_job_id, submit_attempts, deadline_at, cancel_requested, outputs, failure,
    charged_freeze_id, created_at, updated_at, run_model, provider_model"""
# Unsettled: not ended, or ended with its credits still frozen (a compensation is due).
_UNSETTLED = "(g.status IN ('queued', 'running') OR g.credits = 'frozen')"
# An older generation of the same account waiting for a slot: slots go in submission order.
_WAITING_BEFORE = """
    SELECT 1 FROM generations o
    WHERE o.account_id = g.account_id AND o.status = 'queued' AND o.credits = 'frozen'
      AND NOT o.cancel_requested AND o.seq < g.seq"""


async def insert(
    conn: DbConnection, g: Generation, *, key: str, fingerprint: str, owner: str, lease_s: float
) -> bool:
    """Records a new generation leased to `owner`; False when its id is recorded already."""
    added = await conn.fetchval(
        """
        INSERT INTO generations (id, account_id, idempotency_key, fingerprint, tool, model, params,
            cost, status, credits, version, created_at, updated_at, lease_owner, lease_expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $12, $13,
            now() + make_interval(secs => $14))
        ON CONFLICT DO NOTHING
        RETURNING true
        """,
        g.id, g.account_id, key, fingerprint, g.tool, g.model, json.dumps(g.params), g.cost,
        g.status.value, g.credits.value, g.version, g.created_at, owner, lease_s,
    )  # fmt: skip
    return bool(added)


async def fingerprint_of(conn: DbConnection | DbPool, generation_id: str) -> str | None:
    value = await conn.fetchval("SELECT fingerprint FROM generations WHERE id = $1", generation_id)
    return None if value is None else str(value)


async def load(conn: DbConnection | DbPool, generation_id: str) -> Generation | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM generations WHERE id = $1", generation_id)
    return None if row is None else _generation(row)


async def save(conn: DbConnection | DbPool, g: Generation, *, holder: str | None = None) -> bool:
    """Writes `g` over the version before it, and only while `holder` (when given) holds its
    lease; False when someone else wrote first or took the lease over."""
    result = await conn.execute(
        """
        UPDATE generations SET status = $3, credits = $4, version = $2, progress = $5,
            provider = $6, provider_job_id = $7, submit_attempts = $8, deadline_at = $9,
            cancel_requested = $10, outputs = $11::jsonb, failure = $12::jsonb,
            charged_freeze_id = $13, updated_at = $14, run_model = $16, provider_model = $17
        WHERE id = $1 AND version = $2 - 1 AND ($15::text IS NULL OR lease_owner = $15)
        """,
        g.id, g.version, g.status.value, g.credits.value, g.progress, g.provider,
        g.provider_job_id, g.submit_attempts, g.deadline_at, g.cancel_requested,
        json.dumps([_output_json(o) for o in g.outputs]),
        None if g.failure is None else json.dumps(g.failure.__dict__),
        g.charged_freeze_id, g.updated_at, holder, g.run_model, g.provider_model,
    )  # fmt: skip
    return result.endswith(" 1")


async def of_job(conn: DbConnection | DbPool, provider: str, job_id: str) -> Generation | None:
    """The generation whose recorded provider job this is; None for anything else (an earlier
    attempt's job, a job of no generation of ours, or one not recorded yet)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM generations WHERE provider = $1 AND provider_job_id = $2",
        provider,
        job_id,
    )
    return None if row is None else _generation(row)


async def holder_of(conn: DbConnection | DbPool, generation_id: str) -> str | None:
    """Who holds the generation's lease now (expired or not); None when nobody does."""
    value = await conn.fetchval("SELECT lease_owner FROM generations WHERE id = $1", generation_id)
    return None if value is None else str(value)


async def claim(
    pool: DbPool, owner: str, lease_s: float, cap: int, plan_order: Sequence[str] = ()
) -> Generation | None:
    """Leases the next unsettled generation whose lease is free: work already under way first
    (a provider job may be running, credits may wait to settle), then queued work by its
    account's plan (in `plan_order`, unlisted plans after), then oldest first. A queued one is
    offered only while its account has a running slot free (or when it is to be canceled)."""
    row = await pool.fetchrow(
        f"""
        UPDATE generations SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2)
        WHERE id = (
            SELECT g.id FROM generations g
            LEFT JOIN account_plans p ON p.account_id = g.account_id
            WHERE {_UNSETTLED}
              AND (g.lease_expires_at IS NULL OR g.lease_expires_at < now())
              AND NOT (g.status = 'queued' AND g.credits = 'frozen' AND NOT g.cancel_requested
                       AND ((SELECT count(*) FROM generations r
                             WHERE r.account_id = g.account_id AND r.status = 'running') >= $3
                            OR EXISTS ({_WAITING_BEFORE})))
            ORDER BY CASE WHEN g.status = 'queued'
                          THEN coalesce(array_position($4::text[], p.plan), cardinality($4::text[]) + 1)
                          ELSE 0 END,
                     g.seq
            LIMIT 1
            FOR UPDATE OF g SKIP LOCKED
        )
        RETURNING {_COLUMNS}
        """,
        owner,
        lease_s,
        cap,
        list(plan_order),
    )
    return None if row is None else _generation(row)


async def renew(pool: DbPool, generation_id: str, owner: str, lease_s: float) -> bool:
    """Extends the lease while driving; False when it was lost (expired and taken over)."""
    result = await pool.execute(
        """
        UPDATE generations SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE id = $1 AND lease_owner = $2
        """,
        generation_id,
        owner,
        lease_s,
    )
    return result.endswith(" 1")


async def release(pool: DbPool, generation_id: str, owner: str, *, after_s: float = 0.0) -> None:
    """Gives the lease back; `after_s` keeps every driver off it that long (a retry's backoff)."""
    await pool.execute(
        """
        UPDATE generations SET lease_owner = NULL,
            lease_expires_at = CASE WHEN $3 > 0 THEN now() + make_interval(secs => $3) END
        WHERE id = $1 AND lease_owner = $2
        """,
        generation_id,
        owner,
        after_s,
    )


async def take_running_slot(conn: DbConnection, g: Generation, cap: int) -> bool:
    """True when the account runs fewer than `cap` generations and none older waits; decided
    under a lock held until the transaction ends, so two replicas admitting at once cannot both
    take the last slot."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gen-slots:' || $1))", g.account_id)
    return bool(
        await conn.fetchval(
            f"""
            SELECT (SELECT count(*) FROM generations
                    WHERE account_id = $1 AND status = 'running') < $3
               AND NOT EXISTS ({_WAITING_BEFORE})
            FROM generations g WHERE g.id = $2
            """,
            g.account_id,
            g.id,
            cap,
        )
    )


async def queue_position(conn: DbConnection | DbPool, g: Generation) -> int:
    """1 for the account's next queued generation to run; 0 when `g` is not waiting."""
    if g.status is not Status.QUEUED or g.credits is not CreditsState.FROZEN:
        return 0
    ahead = await conn.fetchval(
        """
        SELECT count(*) FROM generations
        WHERE account_id = $1 AND status = 'queued' AND credits = 'frozen'
          AND seq < (SELECT seq FROM generations WHERE id = $2)
        """,
        g.account_id,
        g.id,
    )
    return int(ahead) + 1


async def page_of(
    pool: DbPool, account_id: str, *, before_seq: int | None, limit: int
) -> tuple[Sequence[Generation], int | None]:
    """The account's generations newest first, and the seq to continue before (None: no more)."""
    rows = await pool.fetch(
        f"""
        SELECT seq, {_COLUMNS} FROM generations
        WHERE account_id = $1 AND ($2::bigint IS NULL OR seq < $2)
        ORDER BY seq DESC LIMIT $3
        """,
        account_id,
        before_seq,
        limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return [_generation(r) for r in rows], (int(rows[-1]["seq"]) if more else None)


def _output_json(output: StoredOutput) -> dict[str, Any]:
    expires = None if output.expires_at is None else output.expires_at.isoformat()
    return {"url": output.url, "content_type": output.content_type, "expires_at": expires}


def _output(value: dict[str, Any]) -> StoredOutput:
    expires = value.get("expires_at")
    return StoredOutput(
        value["url"],
        value["content_type"],
        None if expires is None else datetime.fromisoformat(expires),
    )


def _generation(row: asyncpg.Record) -> Generation:
    failure = row["failure"]
    return Generation(
        id=row["id"],
        account_id=row["account_id"],
        tool=row["tool"],
        model=row["model"],
        params=json.loads(row["params"]),
        cost=row["cost"],
        status=Status(row["status"]),
        credits=CreditsState(row["credits"]),
        version=row["version"],
        progress=row["progress"],
        provider=row["provider"],
        provider_job_id=row["provider_job_id"],
        submit_attempts=row["submit_attempts"],
        deadline_at=row["deadline_at"],
        cancel_requested=row["cancel_requested"],
        outputs=tuple(_output(o) for o in json.loads(row["outputs"])),
        failure=None if failure is None else Failure(**json.loads(failure)),
        charged_freeze_id=row["charged_freeze_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        run_model=row["run_model"],
        provider_model=row["provider_model"],
    )
