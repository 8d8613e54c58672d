"""Reading one kind of event out of a bus message: the envelope, its type, its payload."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from atelier.events.v1 import envelope_pb2
from atelier_runtime.consumer import PermanentFailure
from atelier_runtime.proto_time import from_timestamp

EventT = TypeVar("EventT", bound=Message)


def event_of(data: bytes, kind: type[EventT]) -> tuple[EventT, datetime] | None:
    """The `kind` event in an envelope and when it happened; None for an envelope of another
    type (a stream carries several). Bytes that are no envelope, or a payload that is not what
    the envelope says, are PermanentFailure: no redelivery will mend them."""
    try:
        envelope = envelope_pb2.Envelope.FromString(data)
    except DecodeError as error:
        raise PermanentFailure(f"not an Envelope: {error}") from None
    name = kind.DESCRIPTOR.full_name
    if envelope.type != name:
        return None
    event = kind()
    if not envelope.payload.Unpack(event):
        raise PermanentFailure(f"payload is not {name}")
    return event, from_timestamp(envelope.occurred_at)
