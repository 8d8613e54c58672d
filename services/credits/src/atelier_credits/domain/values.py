"""Immutable results the credits aggregate hands back; equal for a command and its repeats."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Resolution(enum.StrEnum):
    """Where a freeze stands: pending until it is confirmed or rolled back, exactly once."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    ROLLED_BACK = "rolled_back"


class RollbackReason(enum.StrEnum):
    """Why frozen credits went back: the saga failed or was canceled, or the freeze expired."""

    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Draw:
    """Credits one freeze or revocation took from one grant."""

    grant_id: str
    amount: int


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's credits by state; granted is always the sum of the other five."""

    available: int
    frozen: int
    consumed: int
    expired: int
    revoked: int
    granted: int


@dataclass(frozen=True, slots=True)
class GrantResult:
    """A grant as recorded."""

    grant_id: str
    amount: int
    source: str
    priority: int
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class FreezeResult:
    """A freeze as recorded, with the grants it drew from in draw order."""

    freeze_id: str
    amount: int
    expires_at: datetime
    draws: tuple[Draw, ...]


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    """How much of a freeze was consumed and how much went back to its grants."""

    freeze_id: str
    confirmed: int
    released: int


@dataclass(frozen=True, slots=True)
class RollbackResult:
    """How much a rollback released, and the reason recorded by the first rollback."""

    freeze_id: str
    released: int
    reason: str


@dataclass(frozen=True, slots=True)
class RevokeResult:
    """A clawback: what could be taken from available credits and what was missing."""

    revocation_id: str
    revoked: int
    shortfall: int
