"""The PostgreSQL store's append: one statement for events, balances and snapshots, spaced snapshots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.postgres_store import PostgresAccountStore
from atelier_credits.adapters.schema import MIGRATIONS
from atelier_credits.application.ports import ConcurrencyConflict
from atelier_credits.domain import CreditAccount
from atelier_runtime.db import DbPool, apply_migrations, create_pool

T0 = datetime(2025, 1, 1, tzinfo=UTC)
EVERY = 10


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[DbPool]:
    created = await create_pool(database_url)
    await apply_migrations(created, "credits", MIGRATIONS)
    yield created
    await created.close()


def _busy_account(cycles: int) -> CreditAccount:
    account = CreditAccount.open("acct-busy", T0)
    account.grant("g-1", 10**9, T0)
    for n in range(cycles):
        now = T0 + timedelta(seconds=n)
        account.freeze(f"f-{n}", 1, now)
        account.confirm(f"f-{n}", now)
    return account


async def _snapshot_versions(pool: DbPool) -> list[int]:
    rows = await pool.fetch("SELECT originator_version FROM credits_snapshots ORDER BY 1")
    return [row["originator_version"] for row in rows]


async def test_snapshots_grow_sparser_as_the_stream_grows_and_loads_stay_exact(
    pool: DbPool,
) -> None:
    store = PostgresAccountStore(pool, event_mapper(), snapshot_every=EVERY)
    account = _busy_account(0)
    await store.save(account)
    for cycle in range(600):
        now = T0 + timedelta(seconds=cycle)
        account.freeze(f"f-{cycle}", 1, now)
        account.confirm(f"f-{cycle}", now)
        await store.save(account)

    versions = await _snapshot_versions(pool)
    assert versions[:3] == [EVERY, 2 * EVERY, 3 * EVERY]
    # A fixed interval would have taken 120 snapshots of an ever larger state.
    assert len(versions) < 60
    # Never more apart than a quarter of the stream: a load replays little after its snapshot.
    assert all(later - earlier <= max(EVERY, later // 4) for earlier, later in pairwise(versions))
    loaded = await store.get("acct-busy")
    assert loaded is not None
    assert loaded.version == account.version
    assert loaded.balance() == account.balance()
    assert loaded.freezes == account.freezes


async def test_a_stale_append_writes_neither_events_nor_balances(pool: DbPool) -> None:
    store = PostgresAccountStore(pool, event_mapper(), snapshot_every=EVERY)
    await store.save(_busy_account(1))
    first = await store.get("acct-busy")
    second = await store.get("acct-busy")
    assert first is not None
    assert second is not None
    first.freeze("f-first", 1, T0)
    await store.save(first)

    second.freeze("f-second", 5, T0)
    with pytest.raises(ConcurrencyConflict):
        await store.save(second)

    reloaded = await store.get("acct-busy")
    assert reloaded is not None
    assert set(reloaded.freezes) == {"f-0", "f-first"}
    row = await pool.fetchrow(
        "SELECT frozen, version FROM account_balances WHERE account_id = 'acct-busy'"
    )
    assert row is not None
    assert (row["frozen"], row["version"]) == (1, first.version)


async def test_loading_nothing_is_answered_without_a_query(pool: DbPool) -> None:
    store = PostgresAccountStore(pool, event_mapper())
    await pool.close()
    assert await store.get_many([]) == {}
