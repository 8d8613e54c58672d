from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from atelier_credits.adapters.memory_store import InMemoryAccountStore
from atelier_credits.application.ports import ConcurrencyConflict
from atelier_credits.domain import CreditAccount


@pytest.fixture
def store() -> InMemoryAccountStore:
    return InMemoryAccountStore()


async def test_an_account_never_saved_is_not_found(store: InMemoryAccountStore) -> None:
    assert await store.get("acct-missing") is None


async def test_a_saved_account_comes_back_as_an_equal_fresh_copy(
    store: InMemoryAccountStore, t0: datetime
) -> None:
    account = CreditAccount.open("acct-1", t0)
    account.grant("g1", 10, t0)
    await store.save(account)

    loaded = await store.get("acct-1")

    assert loaded == account
    assert loaded is not account
    assert [event.topic.rsplit(".", 1)[-1] for event in store.stored_events("acct-1")] == [
        "Opened",
        "Granted",
    ]


async def test_saving_a_stale_copy_is_a_concurrency_conflict_and_stores_nothing(
    store: InMemoryAccountStore, t0: datetime
) -> None:
    await store.save(CreditAccount.open("acct-1", t0))
    first, second = await store.get("acct-1"), await store.get("acct-1")
    assert first is not None
    assert second is not None
    first.grant("g1", 10, t0)
    second.grant("g2", 20, t0)
    await store.save(first)

    with pytest.raises(ConcurrencyConflict) as caught:
        await store.save(second)

    assert caught.value.reason == "CONCURRENCY_CONFLICT"
    assert caught.value.metadata == {
        "account_id": "acct-1",
        "expected_version": "1",
        "stored_version": "2",
    }
    assert len(store.stored_events("acct-1")) == 2


async def test_opening_an_account_twice_is_a_concurrency_conflict(
    store: InMemoryAccountStore, t0: datetime
) -> None:
    await store.save(CreditAccount.open("acct-1", t0))

    with pytest.raises(ConcurrencyConflict):
        await store.save(CreditAccount.open("acct-1", t0))


async def test_saving_with_nothing_pending_changes_nothing(
    store: InMemoryAccountStore, t0: datetime
) -> None:
    await store.save(CreditAccount.open("acct-1", t0))
    loaded = await store.get("acct-1")
    assert loaded is not None

    await store.save(loaded)

    assert len(store.stored_events("acct-1")) == 1


async def test_accounts_with_due_expiries_are_listed_once_due(
    store: InMemoryAccountStore, t0: datetime
) -> None:
    expiring = CreditAccount.open("acct-expiring", t0)
    expiring.grant("g1", 10, t0, expires_at=t0 + timedelta(hours=1))
    lasting = CreditAccount.open("acct-lasting", t0)
    lasting.grant("g1", 10, t0)
    await store.save(expiring)
    await store.save(lasting)

    assert await store.list_accounts_with_due_expiries(t0) == []
    assert await store.list_accounts_with_due_expiries(t0 + timedelta(hours=1)) == ["acct-expiring"]
