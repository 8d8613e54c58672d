"""Random command sequences: the aggregate must agree with the reference ledger at every step."""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from services.credits.tests.unit.reference_ledger import Outcome, ReferenceLedger

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.drawing import Bucket
from atelier_credits.domain.history import Receipt, ReceiptKey
from atelier_credits.domain.replay import replay
from atelier_runtime.errors import AtelierError

T0 = datetime(2025, 1, 1, tzinfo=UTC)
# Grant lifetimes (0: already expired) mostly shorter than freeze ttls, so credits held by a
# freeze often outlive their grant. Hypothesis favours early alternatives: "never" goes last.
LIFETIMES = st.sampled_from([timedelta(minutes=m) for m in (30, 10, 60, 0)]) | st.none()
TTLS = st.sampled_from([timedelta(minutes=m) for m in (60, 120, 240, 10)]) | st.none()
# Steps of whole 5 minutes land exactly on expiry instants often, where off-by-one bugs live;
# None jumps straight to the next expiry.
CLOCK_STEPS = st.none() | st.sampled_from([timedelta(minutes=m) for m in (0, 5, 10, 30, 60, 90)])
# Grants are larger than freezes and revocations, so most freezes find credits to draw.
GRANT_AMOUNTS = st.integers(10, 50)
AMOUNTS = st.integers(1, 15)
# A confirm names how many credits to leave unconfirmed (negative: more than was frozen).
SETTLEMENTS = st.tuples(st.just("confirm"), st.integers(-2, 6) | st.none()) | st.tuples(
    st.just("rollback"), st.sampled_from(["failed", "canceled", "expired"])
)
PRIORITIES = st.integers(0, 1)
REVOKE_REASONS = st.sampled_from(["refund", "dispute"])
BUCKETS: tuple[Bucket, ...] = ("available", "frozen", "consumed", "expired", "revoked")


def outcome_of(command: Callable[[], Any]) -> Outcome:
    """Runs a domain command and describes its outcome the way the reference ledger does."""
    try:
        result = command()
    except AtelierError as error:
        return ("error", error.reason)
    return ("ok", dataclasses.astuple(result))


class LedgerMachine(RuleBasedStateMachine):
    """Drives one CreditAccount and one ReferenceLedger with the same commands."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.account = CreditAccount.open("acct-machine", T0)
        self.model = ReferenceLedger()
        self.events: list[Any] = list(self.account.collect_events())
        # Receipts "saved" so far; commands consult them as the ledger's fetched history.
        self.saved: dict[ReceiptKey, Receipt] = {}
        self.last: tuple[Callable[[], Any], Outcome] | None = None
        self.issued = 0

    def events_named(self, name: str) -> list[Any]:
        return [e for e in self.events if type(e).__name__ == name]

    def check(self, command: Callable[[], Any], expected: Outcome) -> None:
        actual = outcome_of(command)
        assert actual == expected
        self.events += self.account.collect_events()
        self.last = (command, actual)

    def fresh_id(self, prefix: str) -> str:
        self.issued += 1
        return f"{prefix}{self.issued}"

    @rule(step=CLOCK_STEPS)
    def advance_clock(self, step: timedelta | None) -> None:
        upcoming = self.model.next_expiry_after(self.now)
        if step is not None:
            self.now += step
        elif upcoming is not None:
            self.now = upcoming
        self.last = None

    @rule(amount=GRANT_AMOUNTS, priority=PRIORITIES, lifetime=LIFETIMES)
    def grant(self, amount: int, priority: int, lifetime: timedelta | None) -> None:
        gid = self.fresh_id("g")
        expires = None if lifetime is None else self.now + lifetime
        expected = self.model.grant(self.now, gid, amount, priority, expires)
        now = self.now
        self.check(
            lambda: self.account.grant(
                gid, amount, now, priority=priority, expires_at=expires, history=self.saved
            ),
            expected,
        )

    def recorded_freeze(self, pick: int, *, pending_only: bool) -> str | None:
        """Chooses among recorded freezes by index, so the rule never waits on a bundle."""
        ids = [
            fid
            for fid, freeze in self.model.freezes.items()
            if freeze["state"] == "pending" or not pending_only
        ]
        return ids[pick % len(ids)] if ids else None

    @rule(amount=AMOUNTS, ttl=TTLS)
    def freeze(self, amount: int, ttl: timedelta | None) -> None:
        self.freeze_again(self.fresh_id("f"), amount, ttl)

    @rule(pick=st.integers(0, 9), amount=AMOUNTS, ttl=TTLS)
    def reuse_a_freeze_id(self, pick: int, amount: int, ttl: timedelta | None) -> None:
        fid = self.recorded_freeze(pick, pending_only=False)
        if fid is not None:
            self.freeze_again(fid, amount, ttl)

    def freeze_again(self, fid: str, amount: int, ttl: timedelta | None) -> None:
        expected = self.model.freeze(self.now, fid, amount, ttl)
        now = self.now
        self.check(
            lambda: self.account.freeze(fid, amount, now, ttl=ttl, history=self.saved), expected
        )

    # Settles pick pending freezes, which have often aged past their grants' expiry; repeats
    # come from repeat_last_command, and settles of settled freezes from expiries and picks.
    @rule(pick=st.integers(0, 9), pending_only=st.booleans(), settlement=SETTLEMENTS)
    def settle(self, pick: int, pending_only: bool, settlement: tuple[str, Any]) -> None:
        fid = self.recorded_freeze(pick, pending_only=pending_only)
        if fid is None:
            return
        now = self.now
        if settlement[0] == "confirm":
            left = settlement[1]
            frozen = self.model.freezes[fid]["amount"]
            amount = None if left is None else max(1, frozen - left)
            expected = self.model.confirm(now, fid, amount)
            self.check(lambda: self.account.confirm(fid, now, amount, history=self.saved), expected)
        else:
            reason = settlement[1]
            expected = self.model.rollback(now, fid, reason)
            self.check(
                lambda: self.account.rollback(fid, now, reason, history=self.saved), expected
            )

    @rule(amount=AMOUNTS, reason=REVOKE_REASONS)
    def revoke(self, amount: int, reason: str) -> None:
        rid = self.fresh_id("r")
        expected = self.model.revoke(self.now, rid, amount, reason)
        now = self.now
        self.check(
            lambda: self.account.revoke(rid, amount, now, reason=reason, history=self.saved),
            expected,
        )

    @rule()
    def sweep(self) -> None:
        self.model.sweep(self.now)
        self.account.expire_due(self.now)
        self.events += self.account.collect_events()

    @rule()
    def save_and_reload(self) -> None:
        """As a store does: receipts saved, the account rebuilt from its events alone."""
        self.saved.update(self.account.take_unsaved_receipts())
        mapper = event_mapper()
        reloaded = replay(mapper.to_domain_event(mapper.to_stored_event(e)) for e in self.events)
        assert isinstance(reloaded, CreditAccount)
        self.account = reloaded

    @rule()
    def repeat_last_command(self) -> None:
        if self.last is None:
            return
        command, first = self.last
        assert outcome_of(command) == first
        assert self.account.collect_events() == []

    @invariant()
    def every_live_grant_matches_the_reference(self) -> None:
        live = {g: e for g, e in self.model.grants.items() if e["available"] or e["frozen"]}
        for gid, expected in live.items():
            recorded = self.account.grants[gid]
            assert {b: recorded[b] for b in BUCKETS} == {b: expected[b] for b in BUCKETS}
        assert self.account.grants.keys() == live.keys()

    @invariant()
    def the_state_holds_only_live_grants_and_pending_freezes(self) -> None:
        pending = {f for f, e in self.model.freezes.items() if e["state"] == "pending"}
        assert self.account.freezes.keys() == pending

    @invariant()
    def the_balance_adds_up_and_never_goes_negative(self) -> None:
        balance = self.account.balance()
        parts = (balance.available, balance.frozen, balance.consumed, balance.expired)
        assert balance.granted == sum(parts) + balance.revoked
        assert min(*parts, balance.revoked) >= 0
        for grant in self.account.grants.values():
            assert grant["amount"] == sum(grant[b] for b in BUCKETS)

    @invariant()
    def the_balance_at_now_counts_due_expiries_like_a_sweep_would(self) -> None:
        swept = copy.deepcopy(self.model)
        swept.sweep(self.now)
        totals: dict[str, int] = {b: sum(g[b] for g in swept.grants.values()) for b in BUCKETS}
        assert dataclasses.asdict(self.account.balance(self.now)) == {
            **totals,
            "granted": sum(g["amount"] for g in swept.grants.values()),
        }

    @invariant()
    def the_next_expiry_matches_the_reference(self) -> None:
        assert self.account.next_expiry(self.now) == self.model.next_expiry(self.now)

    @invariant()
    def each_freeze_resolves_at_most_once_and_never_beyond_its_amount(self) -> None:
        frozen = {e.freeze_id: e.amount for e in self.events_named("Frozen")}
        confirmed = self.events_named("Confirmed")
        resolved = Counter(e.freeze_id for e in [*confirmed, *self.events_named("RolledBack")])
        assert all(count == 1 for count in resolved.values())
        assert all(e.amount <= frozen[e.freeze_id] for e in confirmed)

    @invariant()
    def replaying_the_stored_events_rebuilds_the_same_account(self) -> None:
        mapper = event_mapper()
        stored = [mapper.to_stored_event(e) for e in self.events]
        replayed = replay(mapper.to_domain_event(s) for s in stored)
        assert isinstance(replayed, CreditAccount)
        # Unsaved receipts are the store's to take, not part of the state.
        replayed.unsaved_receipts = self.account.unsaved_receipts
        assert replayed == self.account


LedgerMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)
test_the_account_agrees_with_the_reference_ledger = LedgerMachine.TestCase
