"""The rank of a plan in the configured order: listed plans first, in order, the rest after."""

from __future__ import annotations

from atelier_generation.domain.plan_priority import Priority, priority_of

ORDER = ("pro", "standard", "basic")


def test_listed_plans_rank_in_order_and_are_paid() -> None:
    assert priority_of("pro", ORDER) == Priority("pro", 0, paid=True)
    assert priority_of("basic", ORDER) == Priority("basic", 2, paid=True)


def test_an_unlisted_or_unknown_plan_ranks_after_every_listed_one() -> None:
    assert priority_of("free", ORDER) == Priority("free", 3, paid=False)
    assert priority_of(None, ORDER) == Priority("free", 3, paid=False)
    assert priority_of("enterprise", ()) == Priority("enterprise", 0, paid=False)
