"""What billing needs from the credits ledger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from atelier_billing.domain.ledger_orders import GrantOrder, RevokeOrder


@dataclass(frozen=True)
class Revoked:
    revoked: int
    shortfall: int


class LedgerRefused(Exception):
    """The ledger refused the order for good (invalid, or its id reused with other arguments)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class Ledger(Protocol):
    """Idempotent by the order's id: delivering one order twice has one effect.

    Refusals that retrying cannot change raise LedgerRefused; anything else may succeed later.
    """

    async def grant(self, order: GrantOrder) -> None: ...

    async def revoke(self, order: RevokeOrder) -> Revoked: ...
