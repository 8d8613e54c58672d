"""What the ledger use cases need from storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from atelier_credits.domain import CreditAccount
from atelier_credits.domain.history import Receipt, ReceiptKey
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


@dataclass(frozen=True, slots=True)
class Current:
    """An account as of the latest committed version (None: never opened), and the saved
    receipts asked for, read in one consistent snapshot of the store."""

    account: CreditAccount | None
    receipts: Mapping[ReceiptKey, Receipt] = field(default_factory=dict)


# Trace context (W3C headers) of the request that caused each new event, by stream version.
TraceContexts = Mapping[tuple[str, int], Mapping[str, str]]
NO_TRACES: TraceContexts = {}


class AccountStore(Protocol):
    """An event store of credit accounts with optimistic concurrency per stream.

    Appends check the stream version and the uniqueness of every receipt, so no stale decision
    and no second fact for an operation id can ever commit.
    """

    async def current(
        self,
        known: Mapping[str, CreditAccount | None],
        receipt_keys: Mapping[str, Sequence[ReceiptKey]],
    ) -> dict[str, Current]:
        """Each account at its latest version: a known copy is brought up to date in place (or
        replaced), an unknown one (None) loaded; in one round trip, with the receipts."""
        ...

    async def save_many(
        self, accounts: Sequence[CreditAccount], trace_contexts: TraceContexts = NO_TRACES
    ) -> None:
        """Appends every account's pending events and unsaved receipts atomically, then marks
        them saved; on failure nothing is marked and the accounts can be saved again.

        Raises ConcurrencyConflict naming the first account whose stream moved on or whose
        receipt exists already. Nothing pending: no-op.
        """
        ...

    async def list_accounts_with_due_expiries(self, now: datetime) -> list[str]:
        """Ids of accounts with a freeze or grant expiry at or before `now` (for the sweeper)."""
        ...
