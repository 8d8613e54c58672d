"""Shared helpers for the projection tests: a migrated database, random ledger activity, and
the projections as plain rows to compare."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from services.credits.tests.ledger_scenarios import ManualClock

from atelier_credits.adapters.log_rows import EVENT_COLUMNS, domain_event
from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.postgres_store import PostgresAccountStore
from atelier_credits.adapters.schema import MIGRATIONS
from atelier_credits.application.ledger import Ledger
from atelier_credits.domain.statement import StatementLine, statement_lines
from atelier_runtime.db import DbPool, apply_migrations, create_pool
from atelier_runtime.errors import AtelierError

T0 = datetime(2025, 3, 1, tzinfo=UTC)


@asynccontextmanager
async def migrated_pool(database_url: str) -> AsyncIterator[DbPool]:
    """A pool on a fresh credits database with every migration applied."""
    pool = await create_pool(database_url, min_size=1, max_size=6)
    try:
        await apply_migrations(pool, "credits", MIGRATIONS)
        yield pool
    finally:
        await pool.close()


class Activity:
    """Random but reproducible ledger traffic through the real store (snapshots included)."""

    def __init__(self, pool: DbPool, *, seed: int, accounts: int = 4) -> None:
        self.clock = ManualClock(T0)
        # Frequent snapshots, so loads start from snapshots while rebuilds replay only events.
        self.ledger = Ledger.serial(
            PostgresAccountStore(pool, event_mapper(), snapshot_every=4), clock=self.clock
        )
        self.random = random.Random(seed)
        self.accounts = [f"acct-{seed}-{n}" for n in range(accounts)]
        self.freezes: dict[str, list[str]] = {account: [] for account in self.accounts}
        self.issued = 0

    async def run(self, steps: int) -> None:
        """`steps` random commands; the ones the ledger refuses record nothing, as in production."""
        for _ in range(steps):
            with suppress(AtelierError):
                await self.step(self.random.choice(self.accounts))

    async def step(self, account: str) -> None:
        roll, amount = self.random.random(), self.random.randint(1, 30)
        self.issued += 1
        known = self.freezes[account]
        if roll < 0.3:
            lifetime = self.random.choice([None, timedelta(minutes=20), timedelta(hours=3)])
            expires_at = None if lifetime is None else self.clock.now + lifetime
            await self.ledger.grant(account, f"g{self.issued}", amount, expires_at=expires_at)
        elif roll < 0.55:
            ttl = timedelta(minutes=self.random.choice([10, 45]))
            await self.ledger.freeze(account, f"f{self.issued}", amount, ttl=ttl, reference="gen")
            known.append(f"f{self.issued}")
        elif roll < 0.7 and known:
            part = self.random.choice([None, amount])
            await self.ledger.confirm(account, self.random.choice(known), part)
        elif roll < 0.8 and known:
            await self.ledger.rollback(account, self.random.choice(known), "failed")
        elif roll < 0.88:
            await self.ledger.revoke(account, f"r{self.issued}", amount, reference="refund")
        else:
            self.clock.advance(timedelta(minutes=self.random.choice([5, 15, 30])))
            await self.ledger.sweep(account)


async def rows(pool: DbPool, query: str) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return [dict(row) for row in await conn.fetch(query)]


async def balance_rows(pool: DbPool) -> list[dict[str, Any]]:
    return await rows(pool, "SELECT * FROM account_balances ORDER BY account_id")


async def line_rows(pool: DbPool) -> list[dict[str, Any]]:
    return await rows(pool, "SELECT * FROM statement_lines ORDER BY account_id, version")


async def expected_lines(pool: DbPool) -> dict[str, list[StatementLine]]:
    """Every account's statement recomputed from its whole stream, keyed by account id."""
    mapper = event_mapper()
    query = f"""
        SELECT b.account_id, {", ".join("e." + c for c in EVENT_COLUMNS.split(", "))}
        FROM credits_events e JOIN account_balances b ON b.aggregate_id = e.originator_id
        ORDER BY b.account_id, e.originator_version
    """
    async with pool.acquire() as conn:
        records = await conn.fetch(query)
    streams: dict[str, list[Any]] = {}
    for record in records:
        streams.setdefault(record["account_id"], []).append(domain_event(mapper, record))
    return {account: statement_lines(events) for account, events in streams.items()}


async def stored_lines(pool: DbPool) -> dict[str, list[StatementLine]]:
    """The statement_lines table in the same shape as expected_lines."""
    stored: dict[str, list[StatementLine]] = {}
    for row in await line_rows(pool):
        account = row.pop("account_id")
        stored.setdefault(account, []).append(StatementLine(**row))
    return stored
