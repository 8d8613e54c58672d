"""Generation events off the bus (an Envelope around one generation fact) as LiveEvents, and a
generation's current state (GetGeneration) as the snapshot frame a stream starts with."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.message import DecodeError, Message

from atelier.events.v1 import envelope_pb2
from atelier.events.v1 import generation_pb2 as events
from atelier.generation.v1 import generation_pb2 as pb
from atelier_edge.live.events import Cursor, LiveEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _view(kind: str, status: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    return kind, {"status": status, **fields}


def _succeeded(fact: events.GenerationSucceeded) -> tuple[str, dict[str, Any]]:
    outputs = [_output(o.media_id, o.content_type, o.url) for o in fact.outputs]
    return _view("succeeded", "succeeded", progress=100, outputs=outputs)


def _failed(fact: events.GenerationFailed) -> tuple[str, dict[str, Any]]:
    error = {"code": fact.error_code, "message": fact.error_message, "fault": fact.fault}
    return _view("failed", "failed", error=error)


# Payload type → (its message class, what the stream says of it).
_FACTS: dict[str, tuple[type[Message], Callable[[Any], tuple[str, dict[str, Any]]]]] = {
    "atelier.events.v1.GenerationRequested": (
        events.GenerationRequested,
        lambda _: _view("queued", "queued", progress=0),
    ),
    "atelier.events.v1.GenerationStarted": (
        events.GenerationStarted,
        lambda _: _view("started", "running"),
    ),
    "atelier.events.v1.GenerationProgressed": (
        events.GenerationProgressed,
        lambda fact: _view("progress", "running", progress=fact.progress),
    ),
    "atelier.events.v1.GenerationSucceeded": (events.GenerationSucceeded, _succeeded),
    "atelier.events.v1.GenerationFailed": (events.GenerationFailed, _failed),
    "atelier.events.v1.GenerationCanceled": (
        events.GenerationCanceled,
        lambda _: _view("canceled", "canceled"),
    ),
}


def live_event(seq: int, payload: bytes) -> LiveEvent | None:
    """The event stored at `seq`, or None for anything that is not a generation fact we stream."""
    envelope = envelope_pb2.Envelope()
    try:
        envelope.ParseFromString(payload)
    except DecodeError:
        return None
    known = _FACTS.get(envelope.type)
    if known is None:
        return None
    message_class, describe = known
    fact: Any = message_class()
    if not envelope.payload.Unpack(fact):
        return None
    kind, view = describe(fact)
    occurred = envelope.occurred_at.ToDatetime(tzinfo=UTC)
    generation_id = str(fact.generation_id)
    data = _json({"generation_id": generation_id, **view, "occurred_at": _iso(occurred)})
    account_id = str(fact.account_id)
    return LiveEvent(seq, generation_id, account_id, kind, data, _micros(occurred))


_STATUS = {
    pb.GENERATION_STATUS_QUEUED: ("queued", "queued"),
    pb.GENERATION_STATUS_RUNNING: ("progress", "running"),
    pb.GENERATION_STATUS_SUCCEEDED: ("succeeded", "succeeded"),
    pb.GENERATION_STATUS_FAILED: ("failed", "failed"),
    pb.GENERATION_STATUS_CANCELED: ("canceled", "canceled"),
}


def snapshot(g: pb.Generation, position: int) -> tuple[bytes, Cursor, bool]:
    """The frame telling where `g` stands, the cursor it leaves the stream at, and whether it
    is the last one (the generation ended). Its id names the stream position it was read after
    and the time of the change it reflects, so later events it already covers are skipped."""
    kind, status = _STATUS.get(g.status, ("queued", "queued"))
    updated = g.updated_at.ToDatetime(tzinfo=UTC)
    view: dict[str, Any] = {
        "generation_id": g.id,
        "status": status,
        "progress": g.progress,
        "outputs": [_output(o.media_id, o.content_type, o.url) for o in g.outputs],
        "occurred_at": _iso(updated),
        "snapshot": True,
    }
    if g.HasField("failure"):
        view["error"] = {
            "code": g.failure.code,
            "message": g.failure.message,
            "fault": g.failure.fault,
        }
    cursor = Cursor(position, _micros(updated))
    frame = f"id: {cursor.text}\nevent: {kind}\ndata: {_json(view)}\n\n".encode()
    return frame, cursor, status in ("succeeded", "failed", "canceled")


def _output(media_id: str, content_type: str, url: str) -> dict[str, str]:
    return {"media_id": media_id, "content_type": content_type, "url": url}


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
