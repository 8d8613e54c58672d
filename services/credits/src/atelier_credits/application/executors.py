"""How a ledger command reaches the store: decide on the current version, append, retry on a clash.

`SerialExecutor` loads, decides and saves each command on its own: simple, and what the in-memory
tests use. `command_batcher.CommandBatcher` is the production path (cached aggregates, batched
commits). Both run `act(account, now)` and both are safe with other processes writing the same
streams, because every append checks the version.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from atelier_credits.application.ports import AccountRepository, ConcurrencyConflict
from atelier_credits.domain import CreditAccount
from atelier_runtime.errors import AtelierError

Result = TypeVar("Result")
Clock = Callable[[], datetime]
Action = Callable[[CreditAccount, datetime], Result]

DEFAULT_MAX_ATTEMPTS = 5


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


class NotOpened(LookupError):
    """A command that must not open an account met one that has no stream yet."""


class CommandExecutor(Protocol):
    """Runs `act` on the account at its current version and returns once its events are durable."""

    async def execute(self, account_id: str, act: Action[Result], *, opens: bool = True) -> Result:
        """`opens=False`: an unknown account raises NotOpened instead of being created."""
        ...

    async def close(self) -> None: ...


class SerialExecutor:
    """Load, decide, save, one command at a time; a version clash decides again."""

    def __init__(
        self,
        repository: AccountRepository,
        *,
        clock: Clock = utc_now,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._max_attempts = max_attempts

    async def execute(self, account_id: str, act: Action[Result], *, opens: bool = True) -> Result:
        return await self._retrying(lambda: self._execute_once(account_id, act, opens))

    async def close(self) -> None:
        return None

    async def _execute_once(self, account_id: str, act: Action[Result], opens: bool) -> Result:
        now = self._clock()
        stored = await self._repository.get(account_id)
        if stored is None and not opens:
            raise NotOpened(account_id)
        account = CreditAccount.open(account_id, now) if stored is None else stored
        try:
            result = act(account, now)
        except AtelierError:
            # Expiries settled before a rejection are facts too, so keep them; but never open an
            # account just to record that a command on it was rejected.
            if stored is not None:
                await self._repository.save(account)
            raise
        await self._repository.save(account)
        return result

    async def _retrying(self, attempt: Callable[[], Awaitable[Result]]) -> Result:
        # A clash means another writer appended first; deciding again on the fresh version is
        # always safe because every command is idempotent by its id.
        for _ in range(self._max_attempts - 1):
            with contextlib.suppress(ConcurrencyConflict):
                return await attempt()
        return await attempt()
