"""Property: the running balance derived from events alone equals the replayed account's."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.statement import RunningBalance, statement_line
from atelier_runtime.errors import AtelierError

T0 = datetime(2025, 1, 1, tzinfo=UTC)
MINUTES = st.sampled_from([0, 5, 10, 30, 60, 90]).map(lambda m: timedelta(minutes=m))
AMOUNTS = st.integers(1, 30)
FREEZE_PICK = st.integers(0, 20)

COMMANDS = st.one_of(
    st.tuples(st.just("grant"), AMOUNTS, st.integers(0, 1), st.none() | MINUTES),
    st.tuples(st.just("freeze"), AMOUNTS, MINUTES.filter(bool)),
    st.tuples(st.just("confirm"), FREEZE_PICK, st.none() | AMOUNTS),
    st.tuples(st.just("rollback"), FREEZE_PICK, st.sampled_from(["failed", "canceled"])),
    st.tuples(st.just("revoke"), AMOUNTS),
    st.tuples(st.just("advance"), MINUTES),
)


class Driver:
    """Applies generated commands to one account; refused commands simply record nothing."""

    def __init__(self) -> None:
        self.now = T0
        self.account = CreditAccount.open("acct-property", T0)
        self.issued = 0

    def fresh_id(self, prefix: str) -> str:
        self.issued += 1
        return f"{prefix}-{self.issued}"

    def freeze_id(self, pick: int) -> str:
        ids = list(self.account.freezes) or ["none"]
        return ids[pick % len(ids)]

    def run(self, command: tuple[Any, ...]) -> None:
        name, *args = command
        with contextlib.suppress(AtelierError):
            getattr(self, f"_{name}")(*args)

    def _grant(self, amount: int, priority: int, lifetime: timedelta | None) -> None:
        expires_at = None if lifetime is None else self.now + lifetime
        gid = self.fresh_id("g")
        self.account.grant(gid, amount, self.now, priority=priority, expires_at=expires_at)

    def _freeze(self, amount: int, ttl: timedelta) -> None:
        self.account.freeze(self.fresh_id("f"), amount, self.now, ttl=ttl)

    def _confirm(self, pick: int, amount: int | None) -> None:
        self.account.confirm(self.freeze_id(pick), self.now, amount)

    def _rollback(self, pick: int, reason: str) -> None:
        self.account.rollback(self.freeze_id(pick), self.now, reason)

    def _revoke(self, amount: int) -> None:
        self.account.revoke(self.fresh_id("r"), amount, self.now)

    def _advance(self, step: timedelta) -> None:
        self.now += step
        self.account.expire_due(self.now)


@settings(max_examples=150, deadline=None)
@given(st.lists(COMMANDS, max_size=40))
def test_running_balance_equals_the_replayed_balance_after_every_event(
    commands: list[tuple[Any, ...]],
) -> None:
    driver = Driver()
    for command in commands:
        driver.run(command)
    mapper = event_mapper()
    # Through the mapper, as the projector reads them from the log.
    events: list[Any] = [
        mapper.to_domain_event(mapper.to_stored_event(e)) for e in driver.account.collect_events()
    ]

    replayed: CreditAccount | None = None
    running = RunningBalance()
    for event in events:
        replayed = event.mutate(replayed)
        line, running = statement_line(event, running)
        assert replayed is not None
        balance = replayed.balance()
        assert (running.available, running.frozen) == (balance.available, balance.frozen)
        if line is not None:
            assert line.version == replayed.version
            assert (line.available_after, line.frozen_after) == (running.available, running.frozen)
    assert replayed is not None
    assert replayed.balance() == driver.account.balance()
