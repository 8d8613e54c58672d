"""The aggregate's state as plain JSON-shaped dicts, so events and snapshots transcode as-is."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict


class DrawRecord(TypedDict):
    """Credits taken from one grant."""

    grant_id: str
    amount: int


class GrantRecord(TypedDict):
    """One grant and where its credits are now; amount is the sum of the last five fields."""

    seq: int
    amount: int
    source: str
    priority: int
    expires_at: datetime | None
    available: int
    frozen: int
    consumed: int
    expired: int
    revoked: int


class FreezeRecord(TypedDict):
    """One freeze: its draws, and how (and whether) it was resolved."""

    amount: int
    reference: str
    frozen_at: datetime
    expires_at: datetime
    draws: list[DrawRecord]
    resolution: str
    confirmed: int
    released: int
    reason: str


class RevocationRecord(TypedDict):
    """One clawback as requested and as taken."""

    amount: int
    reason: str
    reference: str
    revoked: int
    draws: list[DrawRecord]


def copy_draws(draws: list[DrawRecord]) -> list[DrawRecord]:
    """Copies draws so state never aliases the lists held by immutable events."""
    return [DrawRecord(grant_id=draw["grant_id"], amount=draw["amount"]) for draw in draws]
