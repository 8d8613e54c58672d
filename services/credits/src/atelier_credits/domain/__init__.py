"""The credits ledger's domain model: pure, no I/O, time passed in."""

from atelier_credits.domain.account import DEFAULT_FREEZE_TTL, MAX_FREEZE_TTL, CreditAccount
from atelier_credits.domain.values import (
    Balance,
    ConfirmResult,
    Draw,
    FreezeResult,
    GrantResult,
    Resolution,
    RevokeResult,
    RollbackReason,
    RollbackResult,
)

__all__ = [
    "DEFAULT_FREEZE_TTL",
    "MAX_FREEZE_TTL",
    "Balance",
    "ConfirmResult",
    "CreditAccount",
    "Draw",
    "FreezeResult",
    "GrantResult",
    "Resolution",
    "RevokeResult",
    "RollbackReason",
    "RollbackResult",
]
