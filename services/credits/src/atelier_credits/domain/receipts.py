"""Builds result values from recorded state, so a repeat returns exactly what the original did."""

from __future__ import annotations

from atelier_credits.domain.records import FreezeRecord, GrantRecord, RevocationRecord
from atelier_credits.domain.values import (
    ConfirmResult,
    Draw,
    FreezeResult,
    GrantResult,
    RevokeResult,
    RollbackResult,
)


def grant_result(grant_id: str, record: GrantRecord) -> GrantResult:
    """The grant as recorded."""
    return GrantResult(
        grant_id=grant_id,
        amount=record["amount"],
        source=record["source"],
        priority=record["priority"],
        expires_at=record["expires_at"],
    )


def freeze_result(freeze_id: str, record: FreezeRecord) -> FreezeResult:
    """The freeze as recorded, whatever became of it since."""
    return FreezeResult(
        freeze_id=freeze_id,
        amount=record["amount"],
        expires_at=record["expires_at"],
        draws=tuple(Draw(grant_id=d["grant_id"], amount=d["amount"]) for d in record["draws"]),
    )


def confirm_result(freeze_id: str, record: FreezeRecord) -> ConfirmResult:
    """What a recorded confirmation consumed and released."""
    return ConfirmResult(
        freeze_id=freeze_id, confirmed=record["confirmed"], released=record["released"]
    )


def rollback_result(freeze_id: str, record: FreezeRecord) -> RollbackResult:
    """What a recorded rollback released, and why."""
    return RollbackResult(freeze_id=freeze_id, released=record["released"], reason=record["reason"])


def revoke_result(revocation_id: str, record: RevocationRecord) -> RevokeResult:
    """What a recorded clawback took and what it could not."""
    return RevokeResult(
        revocation_id=revocation_id,
        revoked=record["revoked"],
        shortfall=record["amount"] - record["revoked"],
    )
