"""The PostgreSQL store: one-statement appends (events, receipts, balances, snapshots), one
round-trip loads that bring a held copy up to date, snapshots the size of the live state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.postgres_store import PostgresAccountStore
from atelier_credits.application.ports import ConcurrencyConflict
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.history import Kind
from atelier_runtime.db import DbPool

T0 = datetime(2025, 1, 1, tzinfo=UTC)
EVERY = 10


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


async def _snapshot_sizes(pool: DbPool) -> list[int]:
    rows = await pool.fetch(
        "SELECT octet_length(state) AS size FROM credits_snapshots ORDER BY originator_version"
    )
    return [row["size"] for row in rows]


async def test_snapshots_stay_the_size_of_the_live_state_however_long_the_stream(
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
    assert all(later - earlier == EVERY for earlier, later in pairwise(versions))
    sizes = await _snapshot_sizes(pool)
    # Settled freezes leave the state: the last snapshot is no larger than an early one.
    assert max(sizes[-10:]) <= max(sizes[:10]) + 16
    loaded = await store.get("acct-busy")
    assert loaded is not None
    assert loaded.version == account.version
    assert loaded.balance() == account.balance()
    assert loaded.freezes == account.freezes == {}


async def test_receipts_of_settled_operations_come_back_with_the_current_version(
    pool: DbPool,
) -> None:
    store = PostgresAccountStore(pool, event_mapper(), snapshot_every=EVERY)
    await store.save(_busy_account(3))

    current = await store.current(
        {"acct-busy": None},
        {"acct-busy": [(Kind.FREEZE, "f-1"), (Kind.RESOLUTION, "f-1"), (Kind.GRANT, "nope")]},
    )

    found = current["acct-busy"]
    assert found.account is not None
    assert found.account.version == 1 + 1 + 2 * 3
    assert found.receipts[(Kind.RESOLUTION, "f-1")]["confirmed"] == 1
    assert found.receipts[(Kind.FREEZE, "f-1")]["frozen_at"] == T0 + timedelta(seconds=1)
    assert (Kind.GRANT, "nope") not in found.receipts


async def test_a_held_copy_is_brought_up_to_date_in_the_same_round_trip(pool: DbPool) -> None:
    store = PostgresAccountStore(pool, event_mapper(), snapshot_every=0)
    await store.save(_busy_account(1))
    held = await store.get("acct-busy")
    elsewhere = await store.get("acct-busy")
    assert held is not None
    assert elsewhere is not None
    elsewhere.grant("g-2", 5, T0)
    await store.save(elsewhere)

    current = await store.current({"acct-busy": held}, {})

    assert current["acct-busy"].account is held
    assert held.version == elsewhere.version
    assert held.balance() == elsewhere.balance()


async def test_a_second_fact_for_one_operation_id_never_commits(pool: DbPool) -> None:
    store = PostgresAccountStore(pool, event_mapper(), snapshot_every=0)
    await store.save(_busy_account(0))
    loaded = await store.get("acct-busy")
    assert loaded is not None
    # Without the receipt at hand, the aggregate cannot know g-1 was granted before.
    loaded.grants.clear()
    loaded.grant("g-1", 10**9, T0)

    with pytest.raises(ConcurrencyConflict) as caught:
        await store.save(loaded)

    assert caught.value.metadata["account_id"] == "acct-busy"
    assert (await store.get("acct-busy")).version == 2  # type: ignore[union-attr]


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
    assert set(reloaded.freezes) == {"f-first"}
    row = await pool.fetchrow(
        "SELECT frozen, version FROM account_balances WHERE account_id = 'acct-busy'"
    )
    assert row is not None
    assert (row["frozen"], row["version"]) == (1, first.version)


async def test_loading_nothing_is_answered_without_a_query(pool: DbPool) -> None:
    store = PostgresAccountStore(pool, event_mapper())
    await pool.close()
    assert await store.current({}, {}) == {}
