"""How a ledger command reaches the store: decide on the current version, append, retry on a clash.

`SerialExecutor` loads, decides and saves each command on its own: simple, and what the in-memory
tests use. `command_batcher.CommandBatcher` is the production path (cached aggregates, batched
commits). Both run a `Command` on the account as of the latest committed version, with the saved
receipts it asked for, and both are safe with other processes writing the same streams, because
every append checks the version and the uniqueness of every receipt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from atelier_credits.application.ports import AccountStore, ConcurrencyConflict
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.history import History, ReceiptKey
from atelier_runtime.errors import AtelierError
from atelier_runtime.tracing import inject_headers

Result = TypeVar("Result")
Clock = Callable[[], datetime]
Action = Callable[[CreditAccount, datetime, History], Result]

DEFAULT_MAX_ATTEMPTS = 5


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


class NotOpened(LookupError):
    """A command that must not open an account met one that has no stream yet."""


@dataclass(frozen=True, slots=True)
class Command(Generic[Result]):
    """One use case's decision: `act` runs on the current account with the receipts of
    `receipt_keys`; `opens=False` makes an unknown account raise NotOpened; `writes=False`
    marks a read, which records nothing and so is never checked by an append."""

    act: Action[Result]
    receipt_keys: tuple[ReceiptKey, ...] = ()
    opens: bool = True
    writes: bool = True


class CommandExecutor(Protocol):
    """Runs a command on the account at its latest committed version; returns once durable."""

    async def execute(self, account_id: str, command: Command[Result]) -> Result: ...

    async def close(self) -> None: ...


def trace_headers() -> dict[str, str]:
    """The caller's trace context, stored with the events its command records."""
    return inject_headers({})


def tag_events(
    account: CreditAccount, first: int, headers: Mapping[str, str], into: dict[Any, Any]
) -> None:
    """Marks the account's pending events from index `first` on as caused by `headers`."""
    for recorded in account.pending_events[first:]:
        into[(account.account_id, recorded.originator_version)] = headers


class SerialExecutor:
    """Load, decide, save, one command at a time; a version clash decides again."""

    def __init__(
        self,
        store: AccountStore,
        *,
        clock: Clock = utc_now,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_attempts = max_attempts

    async def execute(self, account_id: str, command: Command[Result]) -> Result:
        headers = trace_headers()
        return await self._retrying(lambda: self._execute_once(account_id, command, headers))

    async def close(self) -> None:
        return None

    async def _execute_once(
        self, account_id: str, command: Command[Result], headers: Mapping[str, str]
    ) -> Result:
        now = self._clock()
        current = (
            await self._store.current({account_id: None}, {account_id: command.receipt_keys})
        )[account_id]
        if current.account is None and not command.opens:
            raise NotOpened(account_id)
        account = current.account or CreditAccount.open(account_id, now)
        traces: dict[Any, Any] = {}
        try:
            result = command.act(account, now, current.receipts)
        except AtelierError:
            # Expiries settled before a rejection are facts too, so keep them; but never open an
            # account just to record that a command on it was rejected.
            if current.account is not None:
                await self._save(account, headers, traces)
            raise
        await self._save(account, headers, traces)
        return result

    async def _save(
        self, account: CreditAccount, headers: Mapping[str, str], traces: dict[Any, Any]
    ) -> None:
        tag_events(account, 0, headers, traces)
        await self._store.save_many([account], traces)

    async def _retrying(self, attempt: Callable[[], Awaitable[Result]]) -> Result:
        # A clash means another writer appended first; deciding again on the fresh version is
        # always safe because every command is idempotent by its id.
        for _ in range(self._max_attempts - 1):
            with contextlib.suppress(ConcurrencyConflict):
                return await attempt()
        return await attempt()


def receipts_wanted(commands: Sequence[Command[Any]]) -> tuple[ReceiptKey, ...]:
    """Every receipt any of the commands may consult, once each."""
    return tuple(dict.fromkeys(key for command in commands for key in command.receipt_keys))
