"""Events and snapshots survive eventsourcing's JSON transcoder, as the PostgreSQL store needs."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import pytest

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.replay import replay

HOUR = timedelta(hours=1)
EVENT_NAMES = ("Opened", "Granted", "Frozen", "Confirmed", "RolledBack", "GrantExpired", "Revoked")


@pytest.fixture
def busy(t0: datetime) -> CreditAccount:
    """An account that has recorded every kind of event once."""
    account = CreditAccount.open("acct-busy", t0)
    account.grant("g1", 15, t0, source="plan", priority=1, expires_at=t0 + HOUR)
    account.grant("g2", 10, t0)
    account.freeze("f1", 12, t0, reference="gen-1")
    account.confirm("f1", t0, amount=11)
    account.freeze("f2", 3, t0, ttl=HOUR)
    account.freeze("f3", 2, t0, ttl=2 * HOUR)
    account.rollback("f2", t0, "failed")
    account.revoke("r1", 1, t0, reason="refund", reference="ch_1")
    account.expire_due(t0 + 3 * HOUR)
    return account


def test_every_event_kind_is_recorded_under_its_stable_name(busy: CreditAccount) -> None:
    topics = {event_mapper().to_stored_event(e).topic for e in busy.collect_events()}

    assert topics == {
        f"atelier_credits.domain.account:CreditAccount.{name}" for name in EVENT_NAMES
    }


def test_the_stream_id_of_an_account_never_changes() -> None:
    assert CreditAccount.id_for("acct-1") == UUID("6a48207c-d2c2-5d37-a41b-5f22611eeeaa")


def test_events_round_trip_through_the_json_transcoder_unchanged(busy: CreditAccount) -> None:
    mapper = event_mapper()
    events = list(busy.collect_events())

    restored = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

    assert restored == events


def test_an_account_rebuilt_from_stored_events_equals_the_original(busy: CreditAccount) -> None:
    mapper = event_mapper()
    stored = [mapper.to_stored_event(e) for e in busy.collect_events()]
    busy.take_unsaved_receipts()  # saved beside the events, never part of the state

    rebuilt = replay(mapper.to_domain_event(s) for s in stored)

    assert rebuilt == busy
    assert rebuilt is not None
    assert rebuilt.balance() == busy.balance()


def test_a_snapshot_round_trips_and_later_events_apply_on_top(
    busy: CreditAccount, t0: datetime
) -> None:
    mapper = event_mapper()
    busy.collect_events()
    busy.take_unsaved_receipts()
    snapshot = mapper.to_stored_event(CreditAccount.Snapshot.take(busy))
    busy.grant("g3", 7, t0 + 4 * HOUR)
    busy.freeze("f4", 7, t0 + 4 * HOUR)
    later = [mapper.to_stored_event(e) for e in busy.collect_events()]
    busy.take_unsaved_receipts()

    from_snapshot = replay([mapper.to_domain_event(snapshot)])
    rebuilt = replay((mapper.to_domain_event(s) for s in later), from_snapshot)

    assert rebuilt == busy
    assert rebuilt is not None
    assert rebuilt.balance() == busy.balance()
