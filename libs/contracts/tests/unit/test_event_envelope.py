"""An event travels as an Envelope whose Any payload comes back out intact."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.any_pb2 import Any
from google.protobuf.timestamp_pb2 import Timestamp

from atelier.events.v1 import credits_pb2, envelope_pb2, generation_pb2

OCCURRED_AT = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def frozen_event() -> credits_pb2.CreditsFrozen:
    return credits_pb2.CreditsFrozen(
        account_id="acct-3f9a1c",
        freeze_id="gen-7b21",
        amount=40,
        reference="generation gen-7b21",
        expires_at=Timestamp(seconds=1_740_834_000),
        draws=[
            credits_pb2.GrantDraw(grant_id="grant-daily", amount=10),
            credits_pb2.GrantDraw(grant_id="grant-pack", amount=30),
        ],
    )


def envelope_for(payload: credits_pb2.CreditsFrozen) -> envelope_pb2.Envelope:
    packed = Any()
    packed.Pack(payload)
    occurred_at = Timestamp()
    occurred_at.FromDatetime(OCCURRED_AT)
    return envelope_pb2.Envelope(
        event_id="acct-3f9a1c:7",
        type=payload.DESCRIPTOR.full_name,
        occurred_at=occurred_at,
        subject_id="acct-3f9a1c",
        causation_id="cmd-freeze-gen-7b21",
        correlation_id="gen-7b21",
        payload=packed,
        producer="credits",
        subject_version=7,
    )


def test_an_envelope_round_trips_its_payload_through_bytes() -> None:
    wire = envelope_for(frozen_event()).SerializeToString()

    received = envelope_pb2.Envelope.FromString(wire)
    payload = credits_pb2.CreditsFrozen()

    assert received.payload.Unpack(payload)
    assert payload == frozen_event()
    assert received.subject_version == 7
    assert received.occurred_at.ToDatetime(tzinfo=UTC) == OCCURRED_AT


def test_the_type_field_names_the_payload_in_the_past_tense() -> None:
    envelope = envelope_for(frozen_event())

    assert envelope.type == "atelier.events.v1.CreditsFrozen"
    assert envelope.payload.TypeName() == envelope.type


def test_a_payload_does_not_unpack_into_another_event_type() -> None:
    envelope = envelope_for(frozen_event())

    assert not envelope.payload.Is(generation_pb2.GenerationSucceeded.DESCRIPTOR)
    assert not envelope.payload.Unpack(generation_pb2.GenerationSucceeded())


def test_a_grant_without_expiry_is_distinguishable_from_one_with_an_expiry() -> None:
    forever = credits_pb2.CreditsGranted(account_id="acct-1", grant_id="g-1", amount=10)
    dated = credits_pb2.CreditsGranted(expires_at=Timestamp(seconds=0))

    assert not forever.HasField("expires_at")
    assert dated.HasField("expires_at")
