"""The credits use cases: each one decides on the account at its current version and returns what
was decided, with the balance and version it left the account at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from atelier_credits.application.executors import (
    DEFAULT_MAX_ATTEMPTS,
    Clock,
    CommandExecutor,
    NotOpened,
    SerialExecutor,
    utc_now,
)
from atelier_credits.application.ports import AccountRepository, DueAccounts
from atelier_credits.domain import (
    Balance,
    ConfirmResult,
    CreditAccount,
    FreezeResult,
    GrantResult,
    RevokeResult,
    RollbackResult,
    inputs,
)

Result = TypeVar("Result")

EMPTY_BALANCE = Balance(available=0, frozen=0, consumed=0, expired=0, revoked=0, granted=0)

__all__ = ["DEFAULT_MAX_ATTEMPTS", "EMPTY_BALANCE", "Applied", "Ledger", "utc_now"]


@dataclass(frozen=True)
class Applied(Generic[Result]):
    """A command's result, and the account's balance and stream version right after it."""

    result: Result
    balance: Balance
    version: int


def _applied(
    act: Callable[[CreditAccount, datetime], Result],
) -> Callable[[CreditAccount, datetime], Applied[Result]]:
    def run(account: CreditAccount, now: datetime) -> Applied[Result]:
        result = act(account, now)
        return Applied(result, account.balance(), account.version)

    return run


class Ledger:
    """Runs each command on the account at its current version, retrying on a version clash.

    The domain settles due expiries before every command, so they are saved with it. A success
    takes effect at its save, which checks the version; a refusal records nothing, so it stands
    as of the version it was decided on (as if it had arrived just before a concurrent write).
    """

    def __init__(
        self, executor: CommandExecutor, due: DueAccounts, *, clock: Clock = utc_now
    ) -> None:
        self._executor = executor
        self._due = due
        self._clock = clock

    @classmethod
    def serial(
        cls,
        repository: AccountRepository,
        *,
        clock: Clock = utc_now,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> Ledger:
        """A ledger that loads, decides and saves each command on its own."""
        return cls(
            SerialExecutor(repository, clock=clock, max_attempts=max_attempts),
            repository,
            clock=clock,
        )

    async def grant(
        self,
        account_id: str,
        grant_id: str,
        amount: int,
        *,
        source: str = "",
        priority: int = 0,
        expires_at: datetime | None = None,
    ) -> Applied[GrantResult]:
        """Adds credits to the account, opening it on first use."""
        return await self._execute(
            account_id,
            lambda account, now: account.grant(
                grant_id, amount, now, source=source, priority=priority, expires_at=expires_at
            ),
        )

    async def freeze(
        self,
        account_id: str,
        freeze_id: str,
        amount: int,
        *,
        reference: str = "",
        ttl: timedelta | None = None,
    ) -> Applied[FreezeResult]:
        """Reserves credits for a saga step (freeze_id = the generation id)."""
        return await self._execute(
            account_id,
            lambda account, now: account.freeze(
                freeze_id, amount, now, reference=reference, ttl=ttl
            ),
        )

    async def confirm(
        self, account_id: str, freeze_id: str, amount: int | None = None
    ) -> Applied[ConfirmResult]:
        """Consumes a freeze (all of it by default), releasing any remainder."""
        return await self._execute(
            account_id, lambda account, now: account.confirm(freeze_id, now, amount)
        )

    async def rollback(
        self, account_id: str, freeze_id: str, reason: str
    ) -> Applied[RollbackResult]:
        """Returns a freeze's credits: reason failed, canceled or expired."""
        return await self._execute(
            account_id, lambda account, now: account.rollback(freeze_id, now, reason)
        )

    async def revoke(
        self,
        account_id: str,
        revocation_id: str,
        amount: int,
        *,
        reason: str = "",
        reference: str = "",
    ) -> Applied[RevokeResult]:
        """Claws back credits (refunds, disputes); the result says what was missing."""
        return await self._execute(
            account_id,
            lambda account, now: account.revoke(
                revocation_id, amount, now, reason=reason, reference=reference
            ),
        )

    async def balance(self, account_id: str) -> Balance:
        """The balance as of now, counting what is due to expire as expired; writes nothing."""
        return (await self.balance_with_version(account_id)).balance

    async def balance_with_version(self, account_id: str) -> Applied[Balance]:
        """The balance as of now and the stream version it was read at; writes nothing."""
        inputs.identifier("account_id", account_id)

        def read(account: CreditAccount, now: datetime) -> Applied[Balance]:
            balance = account.balance(now)
            return Applied(balance, balance, account.version)

        try:
            return await self._executor.execute(account_id, read, opens=False)
        except NotOpened:
            return Applied(EMPTY_BALANCE, EMPTY_BALANCE, 0)

    async def sweep(self, account_id: str) -> None:
        """Records the expiries due now on one account; an unknown account has none."""
        try:
            await self._executor.execute(
                account_id, lambda account, now: account.expire_due(now), opens=False
            )
        except NotOpened:
            return

    async def sweep_due(self) -> int:
        """Sweeps every account with an expiry due now; returns how many were swept."""
        due = await self._due.list_accounts_with_due_expiries(self._clock())
        for account_id in due:
            await self.sweep(account_id)
        return len(due)

    async def close(self) -> None:
        """Stops the executor's background work (the batcher's commit loops)."""
        await self._executor.close()

    async def _execute(
        self, account_id: str, act: Callable[[CreditAccount, datetime], Result]
    ) -> Applied[Result]:
        inputs.identifier("account_id", account_id)
        return await self._executor.execute(account_id, _applied(act))
