"""The Ledger decides again on the fresh version when another writer got there first."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from services.credits.tests.ledger_scenarios import ManualClock

from atelier_credits.adapters.memory_store import InMemoryAccountStore
from atelier_credits.application.ledger import Ledger
from atelier_credits.application.ports import ConcurrencyConflict
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.errors import InvalidValue


class RivalWriterStore(InMemoryAccountStore):
    """A real store where a rival appends a top-priority grant right after the first loads."""

    def __init__(self, clock: ManualClock, rival_writes: int) -> None:
        super().__init__()
        self._clock = clock
        self.rival_writes = rival_writes
        self.rival_grants = 0

    async def get(self, account_id: str) -> CreditAccount | None:
        loaded = await super().get(account_id)
        if self.rival_writes > self.rival_grants:
            rival = await super().get(account_id)
            assert rival is not None
            self.rival_grants += 1
            rival.grant(f"rival-{self.rival_grants}", 1, self._clock(), priority=9)
            await self.save(rival)
        return loaded


class LockstepStore(InMemoryAccountStore):
    """A real store whose first loads wait for each other, as concurrent requests would."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self._barrier = asyncio.Barrier(parties)
        self._waiting = parties

    async def get(self, account_id: str) -> CreditAccount | None:
        loaded = await super().get(account_id)
        if self._waiting > 0:
            self._waiting -= 1
            await self._barrier.wait()
        return loaded


@pytest.fixture
def clock(t0: datetime) -> ManualClock:
    return ManualClock(t0)


async def test_a_command_that_loses_a_race_is_decided_again_on_the_new_version(
    clock: ManualClock,
) -> None:
    store = RivalWriterStore(clock, rival_writes=0)
    ledger = Ledger.serial(store, clock=clock)
    await ledger.grant("acct-1", "g1", 10)
    store.rival_writes = 2

    result = (await ledger.freeze("acct-1", "gen-1", 5)).result

    assert store.rival_grants == 2
    assert [draw.grant_id for draw in result.draws] == ["rival-1", "rival-2", "g1"]
    assert (await ledger.balance("acct-1")).frozen == 5


async def test_a_command_that_keeps_losing_gives_up_with_a_concurrency_conflict(
    clock: ManualClock,
) -> None:
    store = RivalWriterStore(clock, rival_writes=0)
    ledger = Ledger.serial(store, clock=clock, max_attempts=3)
    await ledger.grant("acct-1", "g1", 10)
    store.rival_writes = 100

    with pytest.raises(ConcurrencyConflict):
        await ledger.freeze("acct-1", "gen-1", 5)

    assert store.rival_grants == 3


async def test_two_concurrent_freezes_of_the_last_credits_let_exactly_one_win(
    clock: ManualClock,
) -> None:
    store = LockstepStore(parties=2)
    ledger = Ledger.serial(store, clock=clock)
    account = CreditAccount.open("acct-1", clock())
    account.grant("g1", 5, clock())
    await store.save(account)

    outcomes = await asyncio.gather(
        ledger.freeze("acct-1", "gen-1", 5),
        ledger.freeze("acct-1", "gen-2", 5),
        return_exceptions=True,
    )

    assert sorted(type(getattr(outcome, "result", outcome)).__name__ for outcome in outcomes) == [
        "FreezeResult",
        "InsufficientCredits",
    ]
    assert (await ledger.balance("acct-1")).frozen == 5


async def test_the_first_command_on_a_new_account_opens_it(clock: ManualClock) -> None:
    store = InMemoryAccountStore()
    ledger = Ledger.serial(store, clock=clock)

    await ledger.grant("acct-new", "g1", 3)

    account = await store.get("acct-new")
    assert account is not None
    assert account.account_id == "acct-new"
    assert account.created_on == clock()


async def test_a_malformed_account_id_is_refused_before_any_lookup(clock: ManualClock) -> None:
    ledger = Ledger.serial(InMemoryAccountStore(), clock=clock)

    with pytest.raises(InvalidValue) as caught:
        await ledger.balance("")

    assert caught.value.metadata == {"field": "account_id"}
