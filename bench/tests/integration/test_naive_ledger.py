"""The baseline is naive but correct: row locks and unique ids keep every credit accounted for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from atelier_bench.credits.naive_ledger import NaiveBalance, NaiveLedger
from atelier_bench.credits.naive_schema import MIGRATIONS
from atelier_credits.domain.errors import (
    ConfirmExceedsFrozen,
    FreezeNotFound,
    IdempotencyConflict,
    InsufficientCredits,
)
from atelier_runtime.db import apply_migrations, create_pool


@pytest.fixture
async def ledger(database_url: str) -> AsyncIterator[NaiveLedger]:
    pool = await create_pool(database_url, min_size=1, max_size=8)
    await apply_migrations(pool, "credits-naive", MIGRATIONS)
    yield NaiveLedger(pool)
    await pool.close()


async def test_a_freeze_moves_credits_from_available_to_frozen(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 100)
    assert await ledger.freeze("acct-1", "f-1", 30) == NaiveBalance(70, 30, 0, 100)


async def test_a_grant_counts_once_per_grant_id(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 100)
    assert await ledger.grant("acct-1", "g-1", 100) == NaiveBalance(100, 0, 0, 100)
    with pytest.raises(IdempotencyConflict):
        await ledger.grant("acct-1", "g-1", 5)


async def test_cannot_freeze_more_than_available(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 10)
    with pytest.raises(InsufficientCredits):
        await ledger.freeze("acct-1", "f-1", 11)
    with pytest.raises(InsufficientCredits):
        await ledger.freeze("acct-unknown", "f-2", 1)
    assert await ledger.balance("acct-1") == NaiveBalance(10, 0, 0, 10)


async def test_a_repeated_freeze_reserves_once(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 100)
    await ledger.freeze("acct-1", "f-1", 30)
    assert await ledger.freeze("acct-1", "f-1", 30) == NaiveBalance(70, 30, 0, 100)


async def test_a_repeated_freeze_is_still_answered_once_credits_ran_out(
    ledger: NaiveLedger,
) -> None:
    await ledger.grant("acct-1", "g-1", 30)
    await ledger.freeze("acct-1", "f-1", 30)
    assert await ledger.freeze("acct-1", "f-1", 30) == NaiveBalance(0, 30, 0, 30)


async def test_a_freeze_id_reused_with_another_amount_is_a_conflict(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 100)
    await ledger.freeze("acct-1", "f-1", 30)
    with pytest.raises(IdempotencyConflict):
        await ledger.freeze("acct-1", "f-1", 31)


async def test_confirm_spends_what_it_names_and_releases_the_rest(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 100)
    await ledger.freeze("acct-1", "f-1", 30)
    confirmed = await ledger.confirm("acct-1", "f-1", 20)
    assert (confirmed.confirmed, confirmed.released) == (20, 10)
    assert confirmed.balance == NaiveBalance(80, 0, 20, 100)


async def test_a_repeated_confirm_spends_nothing_more(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 100)
    await ledger.freeze("acct-1", "f-1", 30)
    await ledger.confirm("acct-1", "f-1", None)
    again = await ledger.confirm("acct-1", "f-1", None)
    assert (again.confirmed, again.released) == (30, 0)
    assert again.balance == NaiveBalance(70, 0, 30, 100)
    with pytest.raises(IdempotencyConflict):
        await ledger.confirm("acct-1", "f-1", 10)


async def test_concurrent_confirms_of_one_freeze_spend_it_once(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 100)
    await ledger.freeze("acct-1", "f-1", 30)
    await asyncio.gather(*(ledger.confirm("acct-1", "f-1", None) for _ in range(8)))
    assert await ledger.balance("acct-1") == NaiveBalance(70, 0, 30, 100)


async def test_concurrent_freezes_never_overdraw_an_account(ledger: NaiveLedger) -> None:
    await ledger.grant("acct-1", "g-1", 10)
    outcomes = await asyncio.gather(
        *(ledger.freeze("acct-1", f"f-{n}", 3) for n in range(8)), return_exceptions=True
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 3
    assert all(isinstance(o, (NaiveBalance, InsufficientCredits)) for o in outcomes)
    assert await ledger.balance("acct-1") == NaiveBalance(1, 9, 0, 10)


async def test_confirming_more_than_frozen_or_an_unknown_freeze_is_refused(
    ledger: NaiveLedger,
) -> None:
    await ledger.grant("acct-1", "g-1", 100)
    await ledger.freeze("acct-1", "f-1", 30)
    with pytest.raises(ConfirmExceedsFrozen):
        await ledger.confirm("acct-1", "f-1", 31)
    with pytest.raises(FreezeNotFound):
        await ledger.confirm("acct-1", "f-unknown", None)
    with pytest.raises(FreezeNotFound):
        await ledger.confirm("acct-2", "f-1", None)
    assert await ledger.balance("acct-1") == NaiveBalance(70, 30, 0, 100)
