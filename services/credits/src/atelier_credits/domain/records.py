"""The aggregate's live state as plain JSON-shaped dicts, so events and snapshots transcode as-is."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict


class DrawRecord(TypedDict):
    """Credits taken from one grant."""

    grant_id: str
    amount: int


class GrantRecord(TypedDict):
    """One grant with credits left and where its credits are now; amount is the sum of the
    last five fields."""

    seq: int
    amount: int
    source: str
    priority: int
    expires_at: datetime | None
    reference: str
    available: int
    frozen: int
    consumed: int
    expired: int
    revoked: int


class FreezeRecord(TypedDict):
    """One pending freeze and the grants it drew from (also the shape of its receipt)."""

    amount: int
    reference: str
    frozen_at: datetime
    expires_at: datetime
    draws: list[DrawRecord]


class RetiredTotals(TypedDict):
    """What the grants that have no credits left held, summed: they leave the live state."""

    granted: int
    consumed: int
    expired: int
    revoked: int


def copy_draws(draws: list[DrawRecord]) -> list[DrawRecord]:
    """Copies draws so state never aliases the lists held by immutable events."""
    return [DrawRecord(grant_id=draw["grant_id"], amount=draw["amount"]) for draw in draws]
