"""Orders for the credits ledger, recorded with the event that caused them and delivered later.

Ids derive from Stripe object ids, and credits is idempotent by them, so delivering an order
twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class GrantOrder:
    account_id: str
    grant_id: str
    amount: int
    # subscription, pack, daily, refund, dispute or admin.
    source: str
    priority: int
    # None: the credits never expire.
    expires_at: datetime | None
    # The Stripe object the credits come from.
    reference: str
    # A grant that gives back what a revocation took names it; its amount is only known once
    # credits has answered that revocation, so it is decided when the grant is delivered.
    returns_revocation: str | None = None


@dataclass(frozen=True)
class RevokeOrder:
    account_id: str
    revocation_id: str
    amount: int
    # refund or dispute.
    reason: str
    reference: str


LedgerOrder = GrantOrder | RevokeOrder
