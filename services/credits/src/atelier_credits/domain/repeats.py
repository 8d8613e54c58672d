"""Idempotency by operation id: a repeat must carry the arguments of the recorded original."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from atelier_credits.domain.errors import IdempotencyConflict
from atelier_credits.domain.inputs import shown


def ensure_same(
    operation: str,
    operation_id: str,
    original: Mapping[str, object],
    requested: Mapping[str, object],
) -> None:
    """Raises IdempotencyConflict, describing the original, when the arguments differ."""
    if dict(original) != dict(requested):
        described = {key: _describe(value) for key, value in original.items()}
        raise IdempotencyConflict(operation, operation_id, described)


def grant_arguments(record: Mapping[str, Any]) -> dict[str, object]:
    """The arguments a grant was recorded with (a live grant record or its receipt)."""
    return {
        "amount": record["amount"],
        "source": record["source"],
        "priority": record["priority"],
        "expires_at": record["expires_at"],
        "reference": record.get("reference", ""),
    }


def freeze_arguments(record: Mapping[str, Any]) -> dict[str, object]:
    """The arguments a freeze was recorded with: its ttl, not its expiry, as retries come later."""
    return {
        "amount": record["amount"],
        "reference": record["reference"],
        "ttl": record["expires_at"] - record["frozen_at"],
    }


def revocation_arguments(record: Mapping[str, Any]) -> dict[str, object]:
    """The arguments a revocation was recorded with."""
    return {
        "amount": record["amount"],
        "reason": record["reason"],
        "reference": record["reference"],
    }


def _describe(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}s"
    return shown(value) if isinstance(value, str) and len(value) > 64 else str(value)
