"""Behavioural scenarios for the Ledger, run unchanged against every AccountStore.

Each scenario takes a LedgerBench (a ledger, its repository and its hand-driven clock) and uses
fresh random account ids, so the suite can share one database. Run them with
`@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)`.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest

from atelier_credits.application.command_batcher import CommandBatcher
from atelier_credits.application.ledger import DEFAULT_MAX_ATTEMPTS, Ledger
from atelier_credits.application.ports import AccountStore
from atelier_credits.domain import (
    Balance,
    ConfirmResult,
    CreditAccount,
    RevokeResult,
    RollbackResult,
)
from atelier_credits.domain.errors import (
    FreezeAlreadyResolved,
    FreezeNotFound,
    IdempotencyConflict,
    InsufficientCredits,
)


class ScenarioStore(AccountStore, Protocol):
    """A store both executors can drive, that also loads one account for checks."""

    async def get(self, account_id: str) -> CreditAccount | None: ...


HOUR = timedelta(hours=1)


def random_id(prefix: str) -> str:
    """A readable id unique enough to share one database across runs: `acct-3f9a1c`."""
    return f"{prefix}-{secrets.token_hex(3)}"


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = datetime(2025, 1, 1, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass(frozen=True)
class LedgerBench:
    """What a scenario drives: the ledger, and the clock and repository behind it."""

    ledger: Ledger
    repository: ScenarioStore
    clock: ManualClock

    @classmethod
    def over(cls, repository: ScenarioStore) -> LedgerBench:
        clock = ManualClock()
        return cls(Ledger.serial(repository, clock=clock), repository, clock)

    @classmethod
    def batched(cls, store: ScenarioStore) -> LedgerBench:
        """The production path: cached aggregates and batched commits (CommandBatcher)."""
        clock = ManualClock()
        return cls(Ledger(CommandBatcher(store, clock), store, clock=clock), store, clock)

    async def version(self, account_id: str) -> int:
        account = await self.repository.get(account_id)
        return 0 if account is None else account.version


Scenario = Callable[[LedgerBench], Awaitable[None]]


async def granted_credits_can_be_frozen_and_confirmed(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 100, source="plan:pro")
    await ledger.freeze(acct, "gen-1", 30)

    assert (await ledger.confirm(acct, "gen-1")).result == ConfirmResult("gen-1", 30, 0)
    assert await ledger.balance(acct) == Balance(70, 0, 30, 0, 0, 100)


async def a_partial_confirm_releases_the_rest(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 100)
    await ledger.freeze(acct, "gen-1", 30)

    assert (await ledger.confirm(acct, "gen-1", 20)).result == ConfirmResult("gen-1", 20, 10)
    assert await ledger.balance(acct) == Balance(80, 0, 20, 0, 0, 100)


async def a_rollback_makes_frozen_credits_available_again(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 10)
    await ledger.freeze(acct, "gen-1", 10)

    assert (await ledger.rollback(acct, "gen-1", "failed")).result == RollbackResult(
        "gen-1", 10, "failed"
    )
    assert (await ledger.balance(acct)).available == 10


async def a_freeze_beyond_the_balance_is_refused_and_records_nothing(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 10)
    version = await bench.version(acct)

    with pytest.raises(InsufficientCredits):
        await ledger.freeze(acct, "gen-1", 11)
    assert await bench.version(acct) == version


async def repeated_commands_return_first_results_and_record_nothing(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    grant = (await ledger.grant(acct, "g1", 10)).result
    freeze = (await ledger.freeze(acct, "gen-1", 4, reference="gen-1")).result
    confirm = (await ledger.confirm(acct, "gen-1", 3)).result
    revoke = (await ledger.revoke(acct, "r1", 2, reason="refund")).result
    version = await bench.version(acct)

    assert (await ledger.grant(acct, "g1", 10)).result == grant
    assert (await ledger.freeze(acct, "gen-1", 4, reference="gen-1")).result == freeze
    assert (await ledger.confirm(acct, "gen-1", 3)).result == confirm
    assert (await ledger.revoke(acct, "r1", 2, reason="refund")).result == revoke
    assert await bench.version(acct) == version


async def an_id_reused_with_other_arguments_is_a_conflict(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 10)

    with pytest.raises(IdempotencyConflict) as caught:
        await ledger.grant(acct, "g1", 11)
    assert caught.value.metadata["original_amount"] == "10"


async def a_freeze_expires_and_a_late_confirm_fails(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 10)
    await ledger.freeze(acct, "gen-1", 6, ttl=HOUR)
    bench.clock.advance(HOUR)

    with pytest.raises(FreezeAlreadyResolved) as caught:
        await ledger.confirm(acct, "gen-1")
    assert caught.value.metadata["reason"] == "expired"
    # The expiry was saved with the rejected confirm: it is on record, not just previewed.
    account = await bench.repository.get(acct)
    assert account is not None
    assert "gen-1" not in account.freezes
    assert await ledger.balance(acct) == Balance(10, 0, 0, 0, 0, 10)
    assert (await ledger.rollback(acct, "gen-1", "failed")).result.reason == "expired"


async def expired_grants_leave_the_balance_and_the_sweep_records_them(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    start = bench.clock()
    await ledger.grant(acct, "daily", 10, expires_at=start + HOUR)
    await ledger.grant(acct, "paid", 5)
    bench.clock.advance(HOUR)
    version = await bench.version(acct)

    assert await ledger.balance(acct) == Balance(5, 0, 0, 10, 0, 15)
    assert await bench.version(acct) == version
    await ledger.sweep(acct)
    assert await bench.version(acct) == version + 1


async def the_sweeper_finds_and_settles_accounts_with_due_expiries(bench: LedgerBench) -> None:
    due, idle, ledger = random_id("acct"), random_id("acct"), bench.ledger
    await ledger.grant(due, "g1", 10)
    await ledger.freeze(due, "gen-1", 10, ttl=HOUR)
    await ledger.grant(idle, "g1", 10)
    bench.clock.advance(2 * HOUR)

    assert due in await bench.repository.list_accounts_with_due_expiries(bench.clock())
    assert (await ledger.sweep_due()).swept >= 1
    assert due not in await bench.repository.list_accounts_with_due_expiries(bench.clock())
    assert (await ledger.rollback(due, "gen-1", "failed")).result.reason == "expired"
    assert idle not in await bench.repository.list_accounts_with_due_expiries(bench.clock())


async def a_revocation_takes_what_is_available_and_reports_the_shortfall(
    bench: LedgerBench,
) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 10)
    await ledger.freeze(acct, "gen-1", 7)

    assert (await ledger.revoke(acct, "dispute-1", 5)).result == RevokeResult("dispute-1", 3, 2)
    assert await ledger.balance(acct) == Balance(0, 7, 0, 0, 3, 10)


async def an_unknown_account_has_nothing_and_is_not_created_by_refusals(
    bench: LedgerBench,
) -> None:
    acct, ledger = random_id("acct"), bench.ledger

    assert await ledger.balance(acct) == Balance(0, 0, 0, 0, 0, 0)
    with pytest.raises(InsufficientCredits):
        await ledger.freeze(acct, "gen-1", 1)
    with pytest.raises(FreezeNotFound):
        await ledger.confirm(acct, "gen-1")
    assert await bench.repository.get(acct) is None


async def concurrent_freezes_never_overdraw(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 10)

    async def try_freeze(n: int) -> bool:
        try:
            await ledger.freeze(acct, f"gen-{n}", 3)
        except InsufficientCredits:
            return False
        return True

    # No more writers than the ledger's attempts: a clash means another command committed, so
    # each of k commands clashes at most k - 1 times and none gives up.
    outcomes = await asyncio.gather(*(try_freeze(n) for n in range(DEFAULT_MAX_ATTEMPTS)))

    assert sum(outcomes) == 3
    assert await ledger.balance(acct) == Balance(1, 9, 0, 0, 0, 10)


async def concurrent_repeats_of_one_freeze_freeze_once(bench: LedgerBench) -> None:
    acct, ledger = random_id("acct"), bench.ledger
    await ledger.grant(acct, "g1", 20)

    repeats = (ledger.freeze(acct, "gen-1", 3) for _ in range(DEFAULT_MAX_ATTEMPTS))
    results = await asyncio.gather(*repeats)

    assert len(set(results)) == 1
    assert (await ledger.balance(acct)).frozen == 3


SCENARIOS: list[Scenario] = [
    granted_credits_can_be_frozen_and_confirmed,
    a_partial_confirm_releases_the_rest,
    a_rollback_makes_frozen_credits_available_again,
    a_freeze_beyond_the_balance_is_refused_and_records_nothing,
    repeated_commands_return_first_results_and_record_nothing,
    an_id_reused_with_other_arguments_is_a_conflict,
    a_freeze_expires_and_a_late_confirm_fails,
    expired_grants_leave_the_balance_and_the_sweep_records_them,
    the_sweeper_finds_and_settles_accounts_with_due_expiries,
    a_revocation_takes_what_is_available_and_reports_the_shortfall,
    an_unknown_account_has_nothing_and_is_not_created_by_refusals,
    concurrent_freezes_never_overdraw,
    concurrent_repeats_of_one_freeze_freeze_once,
]


def scenario_id(scenario: Scenario) -> str:
    """A readable pytest id: the scenario's name."""
    return getattr(scenario, "__name__", repr(scenario))
