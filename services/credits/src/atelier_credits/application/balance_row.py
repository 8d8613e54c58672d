"""The balances projection's row of an account: written by the store, rebuilt and audited alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from atelier_credits.domain import CreditAccount

# Any instant before every expiry: next_expiry(EPOCH) is the account's earliest pending expiry.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One account_balances row: the recorded balance as of the account's version."""

    account_id: str
    aggregate_id: UUID
    available: int
    frozen: int
    consumed: int
    expired: int
    revoked: int
    granted: int
    version: int
    next_expiry: datetime | None
    updated_at: datetime


def balance_row(account: CreditAccount) -> BalanceRow:
    """The row the store writes for `account` at its current version."""
    balance = account.balance()
    return BalanceRow(
        account_id=account.account_id,
        aggregate_id=account.id,
        available=balance.available,
        frozen=balance.frozen,
        consumed=balance.consumed,
        expired=balance.expired,
        revoked=balance.revoked,
        granted=balance.granted,
        version=account.version,
        next_expiry=account.next_expiry(EPOCH),
        updated_at=account.modified_on,
    )
