"""Builds result values from receipts, so a repeat returns exactly what the original did."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atelier_credits.domain.values import (
    ConfirmResult,
    Draw,
    FreezeResult,
    GrantResult,
    RevokeResult,
    RollbackResult,
)


def grant_result(grant_id: str, grant: Mapping[str, Any]) -> GrantResult:
    """The grant as recorded (a live grant record or its receipt)."""
    return GrantResult(
        grant_id=grant_id,
        amount=grant["amount"],
        source=grant["source"],
        priority=grant["priority"],
        expires_at=grant["expires_at"],
    )


def freeze_result(freeze_id: str, freeze: Mapping[str, Any]) -> FreezeResult:
    """The freeze as recorded, whatever became of it since."""
    return FreezeResult(
        freeze_id=freeze_id,
        amount=freeze["amount"],
        expires_at=freeze["expires_at"],
        draws=tuple(Draw(grant_id=d["grant_id"], amount=d["amount"]) for d in freeze["draws"]),
    )


def confirm_result(freeze_id: str, resolution: Mapping[str, Any]) -> ConfirmResult:
    """What a recorded confirmation consumed and released."""
    return ConfirmResult(
        freeze_id=freeze_id, confirmed=resolution["confirmed"], released=resolution["released"]
    )


def rollback_result(freeze_id: str, resolution: Mapping[str, Any]) -> RollbackResult:
    """What a recorded rollback released, and why."""
    return RollbackResult(
        freeze_id=freeze_id, released=resolution["released"], reason=resolution["reason"]
    )


def revoke_result(revocation_id: str, revocation: Mapping[str, Any]) -> RevokeResult:
    """What a recorded clawback took and what it could not."""
    return RevokeResult(
        revocation_id=revocation_id,
        revoked=revocation["revoked"],
        shortfall=revocation["amount"] - revocation["revoked"],
    )
