"""The credits use cases: each one decides on the account at its current version and returns what
was decided, with the balance and version it left the account at."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from atelier_credits.application.executors import (
    DEFAULT_MAX_ATTEMPTS,
    Clock,
    Command,
    CommandExecutor,
    NotOpened,
    SerialExecutor,
    utc_now,
)
from atelier_credits.application.ports import AccountStore
from atelier_credits.domain import (
    MAX_FREEZE_TTL,
    Balance,
    ConfirmResult,
    CreditAccount,
    FreezeResult,
    GrantResult,
    RevokeResult,
    RollbackResult,
    inputs,
)
from atelier_credits.domain.history import History, Kind, ReceiptKey, receipt_keys

Result = TypeVar("Result")
_log = logging.getLogger(__name__)

EMPTY_BALANCE = Balance(available=0, frozen=0, consumed=0, expired=0, revoked=0, granted=0)

__all__ = ["DEFAULT_MAX_ATTEMPTS", "EMPTY_BALANCE", "Applied", "Ledger", "utc_now"]


@dataclass(frozen=True)
class Applied(Generic[Result]):
    """A command's result, and the account's balance and stream version right after it."""

    result: Result
    balance: Balance
    version: int


@dataclass(frozen=True)
class SweepRound:
    """One sweep over the accounts with expiries due: how many were settled, how many failed."""

    swept: int
    failed: int


Act = Callable[[CreditAccount, datetime, History], Result]


def _applied(act: Act[Result]) -> Act[Applied[Result]]:
    def run(account: CreditAccount, now: datetime, history: History) -> Applied[Result]:
        result = act(account, now, history)
        return Applied(result, account.balance(), account.version)

    return run


class Ledger:
    """Runs each command on the account at its current version, retrying on a version clash.

    The domain settles due expiries before every command, so they are saved with it. A success
    takes effect at its save, which checks the version; a refusal records nothing, so it stands
    as of the version it was decided on (as if it had arrived just before a concurrent write).
    """

    def __init__(
        self, executor: CommandExecutor, due: AccountStore, *, clock: Clock = utc_now
    ) -> None:
        self._executor = executor
        self._due = due
        self._clock = clock

    @classmethod
    def serial(
        cls,
        store: AccountStore,
        *,
        clock: Clock = utc_now,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> Ledger:
        """A ledger that loads, decides and saves each command on its own."""
        return cls(
            SerialExecutor(store, clock=clock, max_attempts=max_attempts), store, clock=clock
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
        reference: str = "",
    ) -> Applied[GrantResult]:
        """Adds credits to the account, opening it on first use."""
        inputs.identifier("account_id", account_id)
        inputs.identifier("grant_id", grant_id)
        inputs.positive_amount("amount", amount)
        inputs.text("source", source)
        inputs.whole_number("priority", priority)
        inputs.optional_instant("expires_at", expires_at)
        inputs.text("reference", reference)
        return await self._execute(
            account_id,
            lambda account, now, history: account.grant(
                grant_id,
                amount,
                now,
                source=source,
                priority=priority,
                expires_at=expires_at,
                reference=reference,
                history=history,
            ),
            receipt_keys(Kind.GRANT, grant_id),
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
        inputs.identifier("account_id", account_id)
        inputs.identifier("freeze_id", freeze_id)
        inputs.positive_amount("amount", amount)
        inputs.text("reference", reference)
        if ttl is not None:
            inputs.positive_ttl("ttl", ttl, longest=MAX_FREEZE_TTL)
        return await self._execute(
            account_id,
            lambda account, now, history: account.freeze(
                freeze_id, amount, now, reference=reference, ttl=ttl, history=history
            ),
            receipt_keys(Kind.FREEZE, freeze_id),
        )

    async def confirm(
        self, account_id: str, freeze_id: str, amount: int | None = None
    ) -> Applied[ConfirmResult]:
        """Consumes a freeze (all of it by default), releasing any remainder."""
        inputs.identifier("account_id", account_id)
        inputs.identifier("freeze_id", freeze_id)
        if amount is not None:
            inputs.positive_amount("amount", amount)
        return await self._execute(
            account_id,
            lambda account, now, history: account.confirm(freeze_id, now, amount, history=history),
            receipt_keys(Kind.FREEZE, freeze_id),
        )

    async def rollback(
        self, account_id: str, freeze_id: str, reason: str
    ) -> Applied[RollbackResult]:
        """Returns a freeze's credits: reason failed, canceled or expired."""
        inputs.identifier("account_id", account_id)
        inputs.identifier("freeze_id", freeze_id)
        inputs.rollback_reason("reason", reason)
        return await self._execute(
            account_id,
            lambda account, now, history: account.rollback(freeze_id, now, reason, history=history),
            receipt_keys(Kind.FREEZE, freeze_id),
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
        inputs.identifier("account_id", account_id)
        inputs.identifier("revocation_id", revocation_id)
        inputs.positive_amount("amount", amount)
        inputs.text("reason", reason)
        inputs.text("reference", reference)
        return await self._execute(
            account_id,
            lambda account, now, history: account.revoke(
                revocation_id, amount, now, reason=reason, reference=reference, history=history
            ),
            receipt_keys(Kind.REVOCATION, revocation_id),
        )

    async def balance(self, account_id: str) -> Balance:
        """The balance as of now, counting what is due to expire as expired; writes nothing."""
        return (await self.balance_with_version(account_id)).balance

    async def balance_with_version(self, account_id: str) -> Applied[Balance]:
        """The balance as of now and the stream version it was read at; writes nothing."""
        inputs.identifier("account_id", account_id)

        def read(account: CreditAccount, now: datetime, history: History) -> Applied[Balance]:
            balance = account.balance(now)
            return Applied(balance, balance, account.version)

        try:
            return await self._executor.execute(
                account_id, Command(read, opens=False, writes=False)
            )
        except NotOpened:
            return Applied(EMPTY_BALANCE, EMPTY_BALANCE, 0)

    async def sweep(self, account_id: str) -> None:
        """Records the expiries due now on one account; an unknown account has none."""
        try:
            await self._executor.execute(
                account_id,
                Command(lambda account, now, history: account.expire_due(now), opens=False),
            )
        except NotOpened:
            return

    async def sweep_due(self) -> SweepRound:
        """Sweeps every account with an expiry due now, whichever process recorded it.

        Each account is decided on its latest version; one that fails is logged and counted and
        stays due, so the next round retries it, and it never holds up the others.
        """
        due = await self._due.list_accounts_with_due_expiries(self._clock())
        outcomes = await asyncio.gather(*(self.sweep(a) for a in due), return_exceptions=True)
        failed = [(a, o) for a, o in zip(due, outcomes, strict=True) if isinstance(o, Exception)]
        for account_id, error in failed:
            _log.warning(
                "sweep of one account failed; retried next round",
                extra={"account_id": account_id, "error": repr(error)},
            )
        return SweepRound(swept=len(due) - len(failed), failed=len(failed))

    async def close(self) -> None:
        """Stops the executor's background work (the batcher's commit loops)."""
        await self._executor.close()

    async def _execute(
        self, account_id: str, act: Act[Result], keys: tuple[ReceiptKey, ...]
    ) -> Applied[Result]:
        return await self._executor.execute(account_id, Command(_applied(act), keys))
