"""A crashed process is restarted a few times per minute, however long the platform runs."""

from __future__ import annotations

from atelier_cli.restart_budget import RestartBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_restarts_within_a_minute_are_allowed_and_the_sixth_is_not() -> None:
    clock = Clock()
    budget = RestartBudget(limit=5, window_s=60, clock=clock)

    allowed = []
    for _ in range(6):
        allowed.append(budget.allow("credits"))
        clock.now += 5

    assert allowed == [True, True, True, True, True, False]


def test_crashes_hours_apart_are_restarted_every_time() -> None:
    clock = Clock()
    budget = RestartBudget(limit=5, window_s=60, clock=clock)

    for _ in range(50):
        assert budget.allow("credits")
        clock.now += 3600


def test_the_window_slides_so_old_restarts_stop_counting() -> None:
    clock = Clock()
    budget = RestartBudget(limit=2, window_s=60, clock=clock)
    assert budget.allow("media")
    clock.now += 30
    assert budget.allow("media")
    clock.now += 29
    assert not budget.allow("media")

    clock.now += 2  # the first restart is now more than a minute old

    assert budget.allow("media")


def test_each_process_has_a_budget_of_its_own() -> None:
    budget = RestartBudget(limit=1, window_s=60, clock=Clock())

    assert budget.allow("credits-1")
    assert budget.allow("credits-2")
    assert not budget.allow("credits-1")
