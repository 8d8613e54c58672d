"""Two credits processes (two batched ledgers with their own warm caches, one database): each
command goes to a random one, and every answer must be what a single reference ledger says."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from services.credits.tests.ledger_scenarios import ManualClock
from services.credits.tests.unit.reference_ledger import Outcome, ReferenceLedger

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.postgres_store import PostgresAccountStore
from atelier_credits.adapters.schema import MIGRATIONS
from atelier_credits.application.command_batcher import CommandBatcher
from atelier_credits.application.ledger import Ledger
from atelier_runtime.db import DbPool, apply_migrations, create_pool
from atelier_runtime.errors import AtelierError
from atelier_testing.ids import random_id

T = TypeVar("T")
T0 = datetime(2025, 1, 1, tzinfo=UTC)
PROCESSES = st.sampled_from([0, 1])
AMOUNTS = st.integers(1, 15)
TTLS = st.sampled_from([timedelta(minutes=m) for m in (10, 60)]) | st.none()
LIFETIMES = st.sampled_from([timedelta(minutes=m) for m in (30, 90)]) | st.none()


async def outcome_of(call: Awaitable[Any]) -> Outcome:
    try:
        applied = await call
    except AtelierError as error:
        return ("error", error.reason)
    return ("ok", dataclasses.astuple(applied.result))


class TwoProcesses(RuleBasedStateMachine):
    """Both ledgers keep their caches warm across steps; only the database joins them."""

    database_url = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock(T0)
        self.model = ReferenceLedger()
        self.account = random_id("acct")
        self.issued = 0
        self.pool: DbPool = self.run(create_pool(self.database_url, max_size=4))
        self.ledgers = [
            Ledger(
                CommandBatcher(PostgresAccountStore(self.pool, event_mapper()), self.clock),
                PostgresAccountStore(self.pool, event_mapper()),
                clock=self.clock,
            )
            for _ in range(2)
        ]

    def run(self, call: Awaitable[T]) -> T:
        return self.loop.run_until_complete(call)

    def teardown(self) -> None:
        for ledger in self.ledgers:
            self.run(ledger.close())
        self.run(self.pool.close())
        self.loop.close()

    def fresh(self, prefix: str) -> str:
        self.issued += 1
        return f"{prefix}{self.issued}"

    def known_freeze(self, pick: int) -> str | None:
        ids = list(self.model.freezes)
        return ids[pick % len(ids)] if ids else None

    @initialize(process=PROCESSES)
    def warm_both_caches(self, process: int) -> None:
        now = self.clock()
        assert self.run(outcome_of(self.ledgers[process].grant(self.account, "g0", 20))) == (
            self.model.grant(now, "g0", 20, 0, None)
        )
        for ledger in self.ledgers:
            self.run(ledger.balance(self.account))

    @rule(process=PROCESSES, amount=st.integers(5, 30), lifetime=LIFETIMES)
    def grant(self, process: int, amount: int, lifetime: timedelta | None) -> None:
        gid, now = self.fresh("g"), self.clock()
        expires = None if lifetime is None else now + lifetime
        expected = self.model.grant(now, gid, amount, 0, expires)
        ledger = self.ledgers[process]
        actual = self.run(outcome_of(ledger.grant(self.account, gid, amount, expires_at=expires)))
        assert actual == expected

    @rule(process=PROCESSES, amount=AMOUNTS, ttl=TTLS)
    def freeze(self, process: int, amount: int, ttl: timedelta | None) -> None:
        fid, now = self.fresh("f"), self.clock()
        expected = self.model.freeze(now, fid, amount, ttl)
        call = self.ledgers[process].freeze(self.account, fid, amount, ttl=ttl)
        assert self.run(outcome_of(call)) == expected

    @precondition(lambda self: bool(self.model.freezes))
    @rule(process=PROCESSES, pick=st.integers(0, 20), keep=st.integers(0, 3) | st.none())
    def confirm(self, process: int, pick: int, keep: int | None) -> None:
        fid, now = self.known_freeze(pick), self.clock()
        assert fid is not None
        amount = None if keep is None else max(1, self.model.freezes[fid]["amount"] - keep)
        expected = self.model.confirm(now, fid, amount)
        call = self.ledgers[process].confirm(self.account, fid, amount)
        assert self.run(outcome_of(call)) == expected

    @precondition(lambda self: bool(self.model.freezes))
    @rule(process=PROCESSES, pick=st.integers(0, 20))
    def roll_back(self, process: int, pick: int) -> None:
        fid, now = self.known_freeze(pick), self.clock()
        assert fid is not None
        expected = self.model.rollback(now, fid, "failed")
        call = self.ledgers[process].rollback(self.account, fid, "failed")
        assert self.run(outcome_of(call)) == expected

    @rule(process=PROCESSES, amount=AMOUNTS)
    def revoke(self, process: int, amount: int) -> None:
        rid, now = self.fresh("r"), self.clock()
        expected = self.model.revoke(now, rid, amount, "refund")
        call = self.ledgers[process].revoke(self.account, rid, amount, reason="refund")
        assert self.run(outcome_of(call)) == expected

    @rule(process=PROCESSES, minutes=st.sampled_from([5, 30, 70]))
    def time_passes_and_one_process_sweeps(self, process: int, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.model.sweep(self.clock())
        self.run(self.ledgers[process].sweep_due())

    @invariant()
    def both_processes_read_the_reference_balance(self) -> None:
        expected = {
            bucket: sum(g[bucket] for g in self.model.grants.values())
            for bucket in ("available", "frozen", "consumed", "expired", "revoked")
        }
        for ledger in self.ledgers:
            balance = self.run(ledger.balance(self.account))
            if self.model.next_expiry(self.clock()) == self.clock():
                continue  # a due expiry the model settles only on its next command
            assert dataclasses.asdict(balance) == {
                **expected,
                "granted": sum(g["amount"] for g in self.model.grants.values()),
            }


def test_two_processes_answer_like_one_ledger(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(create_pool(database_url))
    loop.run_until_complete(apply_migrations(pool, "credits", MIGRATIONS))
    loop.run_until_complete(pool.close())
    loop.close()
    TwoProcesses.database_url = database_url
    machine = TwoProcesses.TestCase
    machine.settings = settings(
        max_examples=15,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()
