"""event_of: the wanted event and its time, None for other types, PermanentFailure for junk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf import any_pb2, timestamp_pb2

from atelier.events.v1 import billing_pb2, envelope_pb2, generation_pb2
from atelier_runtime.consumer import PermanentFailure
from atelier_runtime.envelopes import event_of

WHEN = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def envelope(event: billing_pb2.PlanChanged, type_name: str | None = None) -> bytes:
    payload = any_pb2.Any()
    payload.Pack(event)
    occurred = timestamp_pb2.Timestamp()
    occurred.FromDatetime(WHEN)
    return envelope_pb2.Envelope(
        type=type_name or event.DESCRIPTOR.full_name, payload=payload, occurred_at=occurred
    ).SerializeToString()


def test_the_wanted_event_comes_with_when_it_happened() -> None:
    change = billing_pb2.PlanChanged(account_id="acct-1", plan="pro")

    assert event_of(envelope(change), billing_pb2.PlanChanged) == (change, WHEN)


def test_another_event_type_is_none() -> None:
    change = billing_pb2.PlanChanged(account_id="acct-1", plan="pro")

    assert event_of(envelope(change), generation_pb2.GenerationSucceeded) is None


def test_junk_and_a_payload_of_another_type_are_permanent_failures() -> None:
    change = billing_pb2.PlanChanged(account_id="acct-1")
    mislabelled = envelope(change, generation_pb2.GenerationSucceeded.DESCRIPTOR.full_name)

    with pytest.raises(PermanentFailure, match="not an Envelope"):
        event_of(b"\xff\xff not protobuf", billing_pb2.PlanChanged)
    with pytest.raises(PermanentFailure, match="payload is not"):
        event_of(mislabelled, generation_pb2.GenerationSucceeded)
