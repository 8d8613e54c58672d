"""Statement lines: one per credits movement, with the running balance after it.

A line is derived from its event alone plus the running balance before it, so a projector can
extend an account's statement from its last line without loading the aggregate.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class LineKind(enum.StrEnum):
    """What moved credits; stored as text, so never rename a value."""

    GRANTED = "granted"
    FROZEN = "frozen"
    CONFIRMED = "confirmed"
    ROLLED_BACK = "rolled_back"
    GRANT_EXPIRED = "grant_expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class RunningBalance:
    """Available and frozen credits after the last line of an account's statement."""

    available: int = 0
    frozen: int = 0


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One movement of an account's credits and the balance it left (its account is implied)."""

    version: int
    kind: str
    entry_id: str
    amount: int
    available_after: int
    frozen_after: int
    reference: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class _Movement:
    kind: LineKind
    entry_id: str
    amount: int
    available: int
    frozen: int
    reference: str = ""


def _draws_total(draws: Iterable[dict[str, Any]]) -> int:
    return sum(int(draw["amount"]) for draw in draws)


def _granted(e: Any) -> _Movement:
    # The caller's reference (e.g. a Stripe invoice id) when it gave one, else the source.
    reference = getattr(e, "reference", "") or e.source
    return _Movement(LineKind.GRANTED, e.grant_id, e.amount, e.amount, 0, reference)


def _frozen(e: Any) -> _Movement:
    return _Movement(LineKind.FROZEN, e.freeze_id, e.amount, -e.amount, e.amount, e.reference)


def _confirmed(e: Any) -> _Movement:
    # The whole freeze leaves the frozen bucket: the confirmed part is consumed, the rest released.
    released = _draws_total(e.released)
    return _Movement(
        LineKind.CONFIRMED, e.freeze_id, e.amount, released, -(_draws_total(e.consumed) + released)
    )


def _rolled_back(e: Any) -> _Movement:
    return _Movement(LineKind.ROLLED_BACK, e.freeze_id, e.amount, e.amount, -e.amount, e.reason)


def _grant_expired(e: Any) -> _Movement:
    return _Movement(LineKind.GRANT_EXPIRED, e.grant_id, e.amount, -e.amount, 0)


def _revoked(e: Any) -> _Movement:
    # What was actually taken, not what was asked for: a shortfall moves nothing.
    taken = _draws_total(e.draws)
    return _Movement(LineKind.REVOKED, e.revocation_id, taken, -taken, 0, e.reference)


# Event class name → how it moves credits. Events missing here (Opened) move nothing.
_MOVEMENTS: dict[str, Callable[[Any], _Movement]] = {
    "Granted": _granted,
    "Frozen": _frozen,
    "Confirmed": _confirmed,
    "RolledBack": _rolled_back,
    "GrantExpired": _grant_expired,
    "Revoked": _revoked,
}


def statement_line(
    event: Any, running: RunningBalance
) -> tuple[StatementLine | None, RunningBalance]:
    """The line a recorded event adds (None if it moves no credits) and the balance after it."""
    describe = _MOVEMENTS.get(type(event).__name__)
    if describe is None:
        return None, running
    movement = describe(event)
    after = RunningBalance(
        available=running.available + movement.available, frozen=running.frozen + movement.frozen
    )
    line = StatementLine(
        version=event.originator_version,
        kind=movement.kind.value,
        entry_id=movement.entry_id,
        amount=movement.amount,
        available_after=after.available,
        frozen_after=after.frozen,
        reference=movement.reference,
        occurred_at=event.timestamp,
    )
    return line, after


def statement_lines(
    events: Iterable[Any], running: RunningBalance | None = None
) -> list[StatementLine]:
    """The lines of consecutive events of one account, from `running` (default: empty)."""
    lines: list[StatementLine] = []
    balance = running or RunningBalance()
    for event in events:
        line, balance = statement_line(event, balance)
        if line is not None:
            lines.append(line)
    return lines
