"""What the ledger use cases need from storage."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from atelier_credits.domain import CreditAccount
from atelier_runtime.errors import Aborted


class ConcurrencyConflict(Aborted):
    """The account's stream moved on since it was loaded: reload and decide again."""

    def __init__(self, account_id: str, *, expected_version: int, stored_version: int) -> None:
        super().__init__(
            f"account {account_id!r} is at version {stored_version}, "
            f"not {expected_version} as loaded",
            reason="CONCURRENCY_CONFLICT",
            metadata={
                "account_id": account_id,
                "expected_version": str(expected_version),
                "stored_version": str(stored_version),
            },
        )


class AccountRepository(Protocol):
    """An event store of credit accounts with optimistic concurrency per stream."""

    async def get(self, account_id: str) -> CreditAccount | None:
        """The account at its latest version, or None if it was never opened."""
        ...

    async def save(self, account: CreditAccount) -> None:
        """Appends the account's collected pending events, atomically.

        Raises ConcurrencyConflict when the stored stream is no longer at the version the
        account was loaded at (another writer appended first). Nothing pending: no-op.
        """
        ...

    async def list_accounts_with_due_expiries(self, now: datetime) -> list[str]:
        """Ids of accounts with a freeze or grant expiry at or before `now` (for the sweeper)."""
        ...


class DueAccounts(Protocol):
    """Finds the accounts the sweeper has work on."""

    async def list_accounts_with_due_expiries(self, now: datetime) -> list[str]:
        """Ids of accounts with a freeze or grant expiry at or before `now`."""
        ...
