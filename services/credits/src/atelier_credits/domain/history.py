"""What an account remembers of its past beyond its live state: one receipt per operation id.

The aggregate keeps only what can still change (grants with credits left, pending freezes), so
its size and the cost of a command never grow with the number of generations it has paid for.
Idempotency must still hold for every id forever, so every fact leaves a receipt, derived from
the event alone and stored beside the log in the same transaction; a command about an id the
live state does not know consults the receipts its caller fetched for it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Protocol


class Kind(enum.StrEnum):
    """What a receipt is of; stored as text, so never rename a value."""

    GRANT = "grant"
    FREEZE = "freeze"
    RESOLUTION = "resolution"
    REVOCATION = "revocation"


ReceiptKey = tuple[Kind, str]
# JSON-shaped, like the records: a grant's arguments, a freeze's, a resolution, a revocation.
Receipt = dict[str, Any]


class History(Protocol):
    """The receipts an account's caller fetched for one command (saved ones only)."""

    def get(self, key: ReceiptKey, /) -> Receipt | None: ...


NO_HISTORY: Mapping[ReceiptKey, Receipt] = {}


def _draws_total(draws: Iterable[Mapping[str, Any]]) -> int:
    return sum(int(draw["amount"]) for draw in draws)


def _draws(draws: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"grant_id": d["grant_id"], "amount": d["amount"]} for d in draws]


def _granted(e: Any) -> tuple[ReceiptKey, Receipt]:
    return (Kind.GRANT, e.grant_id), {
        "amount": e.amount,
        "source": e.source,
        "priority": e.priority,
        "expires_at": e.expires_at,
        "reference": getattr(e, "reference", ""),
    }


def _frozen(e: Any) -> tuple[ReceiptKey, Receipt]:
    return (Kind.FREEZE, e.freeze_id), {
        "amount": e.amount,
        "reference": e.reference,
        "frozen_at": e.timestamp,
        "expires_at": e.expires_at,
        "draws": _draws(e.draws),
    }


def _confirmed(e: Any) -> tuple[ReceiptKey, Receipt]:
    return (Kind.RESOLUTION, e.freeze_id), {
        "resolution": "confirmed",
        "confirmed": e.amount,
        "released": _draws_total(e.released),
        "reason": "",
    }


def _rolled_back(e: Any) -> tuple[ReceiptKey, Receipt]:
    return (Kind.RESOLUTION, e.freeze_id), {
        "resolution": "rolled_back",
        "confirmed": 0,
        "released": e.amount,
        "reason": e.reason,
    }


def _revoked(e: Any) -> tuple[ReceiptKey, Receipt]:
    return (Kind.REVOCATION, e.revocation_id), {
        "amount": e.amount,
        "reason": e.reason,
        "reference": e.reference,
        "revoked": _draws_total(e.draws),
        "draws": _draws(e.draws),
    }


_RECEIPTS = {
    "Granted": _granted,
    "Frozen": _frozen,
    "Confirmed": _confirmed,
    "RolledBack": _rolled_back,
    "Revoked": _revoked,
}


def receipt_of(event: Any) -> tuple[ReceiptKey, Receipt] | None:
    """The receipt a recorded event leaves (None for facts with no id of their own)."""
    derive = _RECEIPTS.get(type(event).__name__)
    return None if derive is None else derive(event)


def receipt_keys(kind: Kind, operation_id: str) -> tuple[ReceiptKey, ...]:
    """The receipts a command about `operation_id` may consult."""
    if kind in (Kind.FREEZE, Kind.RESOLUTION):
        return ((Kind.FREEZE, operation_id), (Kind.RESOLUTION, operation_id))
    return ((kind, operation_id),)
