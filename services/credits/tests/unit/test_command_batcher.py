"""The batching executor directly: clashes and faults concern only their own account."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

import pytest
from services.credits.tests.ledger_scenarios import ManualClock

from atelier_credits.adapters.memory_store import InMemoryAccountStore
from atelier_credits.application.command_batcher import CommandBatcher
from atelier_credits.application.ledger import Ledger
from atelier_credits.application.ports import NO_TRACES, Current, TraceContexts
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.errors import InsufficientCredits
from atelier_credits.domain.history import ReceiptKey
from atelier_runtime.errors import Unavailable


class FaultyStore(InMemoryAccountStore):
    """A real in-memory store with faults injected by account id."""

    def __init__(self) -> None:
        super().__init__()
        self.poisoned: set[str] = set()
        self.rival_grants_for: set[str] = set()
        self.down = False
        self.appends = 0
        self.loads: list[set[str]] = []
        self.held: dict[str, bool] = {}

    async def current(
        self,
        known: Mapping[str, CreditAccount | None],
        receipt_keys: Mapping[str, Sequence[ReceiptKey]],
    ) -> dict[str, Current]:
        if self.down:
            raise Unavailable("down for the test", reason="DATABASE_UNAVAILABLE")
        self.loads.append(set(known))
        self.held.update({account_id: copy is not None for account_id, copy in known.items()})
        return await super().current(known, receipt_keys)

    async def save_many(
        self, accounts: Sequence[CreditAccount], trace_contexts: TraceContexts = NO_TRACES
    ) -> None:
        self.appends += 1
        if self.down:
            raise Unavailable("down for the test", reason="DATABASE_UNAVAILABLE")
        if any(a.account_id in self.poisoned for a in accounts):
            raise ValueError("this account's data cannot be stored")
        for account in accounts:
            if account.account_id in self.rival_grants_for:
                # Another process appends first, once: this batch's copy is now stale.
                self.rival_grants_for.discard(account.account_id)
                rival = await self.get(account.account_id)
                assert rival is not None
                rival.grant("rival", 1, rival.modified_on)
                await super().save_many([rival])
        await super().save_many(accounts, trace_contexts)


@pytest.fixture
def store() -> FaultyStore:
    return FaultyStore()


@pytest.fixture
def ledger(store: FaultyStore, t0: datetime) -> Ledger:
    clock = ManualClock(t0)
    return Ledger(CommandBatcher(store, clock, shards=1, cache_size=2), store, clock=clock)


async def test_a_version_clash_decides_again_only_the_clashing_account(
    store: FaultyStore, ledger: Ledger
) -> None:
    await asyncio.gather(ledger.grant("acct-a", "g1", 10), ledger.grant("acct-b", "g1", 10))
    store.rival_grants_for.add("acct-a")
    store.loads.clear()

    a, b = await asyncio.gather(ledger.freeze("acct-a", "f1", 3), ledger.freeze("acct-b", "f1", 3))

    assert (a.balance.available, b.balance.available) == (8, 7)  # a saw the rival's grant
    # Both writes were decided on the cached copies and proven by the append; only the
    # clashing account was read again.
    assert store.loads == [{"acct-a"}]


async def test_a_refusal_on_a_cached_copy_is_decided_again_on_the_latest_version(
    store: FaultyStore, ledger: Ledger
) -> None:
    await ledger.grant("acct-a", "g1", 10)
    rival = await store.get("acct-a")
    assert rival is not None
    rival.grant("g2", 50, rival.modified_on)  # another process's grant, unseen by the cache
    await store.save_many([rival])
    store.loads.clear()

    frozen = await ledger.freeze("acct-a", "f1", 40)

    assert frozen.balance.available == 20  # not refused on the stale copy's 10
    assert store.loads == [{"acct-a"}]
    assert store.held == {"acct-a": True}  # caught up from the cached copy, not reloaded


async def test_a_write_after_a_refusal_in_one_batch_is_decided_after_the_check(
    store: FaultyStore, ledger: Ledger
) -> None:
    await ledger.grant("acct-a", "g1", 10)
    store.loads.clear()

    refused, frozen = await asyncio.gather(
        ledger.freeze("acct-a", "f1", 40), ledger.freeze("acct-a", "f2", 4), return_exceptions=True
    )

    assert isinstance(refused, InsufficientCredits)
    assert not isinstance(frozen, BaseException)
    assert frozen.balance.available == 6
    assert store.loads == [{"acct-a"}]


async def test_one_accounts_bad_data_never_fails_another_accounts_command(
    store: FaultyStore, ledger: Ledger
) -> None:
    store.poisoned.add("acct-bad")

    outcomes = await asyncio.gather(
        ledger.grant("acct-bad", "g1", 10),
        ledger.grant("acct-good", "g1", 10),
        return_exceptions=True,
    )

    assert isinstance(outcomes[0], ValueError)
    assert not isinstance(outcomes[1], BaseException)
    assert (await ledger.balance("acct-good")).available == 10
    assert await store.get("acct-bad") is None


async def test_an_unreachable_store_is_unavailable_and_nothing_is_recorded_twice_on_retry(
    store: FaultyStore, ledger: Ledger
) -> None:
    await ledger.grant("acct-a", "g1", 10)
    store.down = True
    with pytest.raises(Unavailable):
        await ledger.freeze("acct-a", "f1", 4)
    store.down = False

    first = await ledger.freeze("acct-a", "f1", 4)
    again = await ledger.freeze("acct-a", "f1", 4)

    assert first == again
    assert first.balance.available == 6


async def test_the_cache_holds_at_most_its_size_and_evicted_accounts_reload(
    store: FaultyStore, ledger: Ledger
) -> None:
    for n in range(5):
        await ledger.grant(f"acct-{n}", "g1", n + 1)

    balances = [await ledger.balance(f"acct-{n}") for n in reversed(range(5))]

    assert [b.available for b in balances] == [5, 4, 3, 2, 1]
    # The two most recent stayed cached; the others were evicted and loaded afresh.
    assert store.held == {f"acct-{n}": n >= 3 for n in range(5)}
