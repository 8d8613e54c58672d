"""Which plans' queued work is claimed first: a configured order of plan ids, the rest after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_PLAN = "free"


@dataclass(frozen=True)
class Priority:
    """`rank` 0 goes first; `paid` is false for the plans ranked after every listed one."""

    plan: str
    rank: int
    paid: bool


def priority_of(plan: str | None, order: Sequence[str]) -> Priority:
    """The rank of `plan` in `order` (0 first); a plan not listed, or none, ranks after all."""
    name = plan or DEFAULT_PLAN
    if name in order:
        return Priority(name, list(order).index(name), paid=True)
    return Priority(name, len(order), paid=False)
