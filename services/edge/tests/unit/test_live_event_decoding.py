"""Generation events off the bus become stream events; anything else is skipped, never a crash;
the live streams' settings are read and refused by name."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from atelier.events.v1 import envelope_pb2
from atelier.events.v1 import generation_pb2 as events
from atelier.generation.v1 import generation_pb2 as pb
from atelier_edge.live.decoding import live_event, snapshot
from atelier_edge.live.events import Cursor
from atelier_edge.settings import EdgeSettings
from atelier_runtime.settings import SettingsError, load_settings

RECORDED = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def wrapped(fact: events.GenerationProgressed | events.GenerationSucceeded) -> bytes:
    envelope = envelope_pb2.Envelope(event_id="e1", type=fact.DESCRIPTOR.full_name)
    envelope.occurred_at.FromDatetime(RECORDED)
    envelope.payload.Pack(fact)
    return envelope.SerializeToString()


def test_a_progress_fact_becomes_a_progress_event_with_its_stream_sequence_as_id() -> None:
    fact = events.GenerationProgressed(generation_id="gen-1", account_id="acct-1", progress=35)

    event = live_event(42, wrapped(fact))

    assert event is not None
    assert (event.seq, event.kind, event.account_id) == (42, "progress", "acct-1")
    assert event.frame.startswith(b"id: 42\nevent: progress\ndata: ")
    assert json.loads(event.data) == {
        "generation_id": "gen-1",
        "status": "running",
        "progress": 35,
        "occurred_at": "2026-05-01T12:00:00.123456Z",
    }


def test_a_success_ends_the_stream_and_names_its_outputs() -> None:
    output = events.Output(url="https://x/0.png", content_type="image/png", media_id="gen-1-0")
    fact = events.GenerationSucceeded(generation_id="gen-1", account_id="a", outputs=[output])

    event = live_event(7, wrapped(fact))

    assert event is not None
    assert event.terminal
    assert json.loads(event.data)["outputs"] == [
        {"media_id": "gen-1-0", "content_type": "image/png", "url": "https://x/0.png"}
    ]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00\xff garbage",
        envelope_pb2.Envelope(type="atelier.events.v1.Other").SerializeToString(),
    ],
)
def test_anything_else_on_the_stream_is_skipped(payload: bytes) -> None:
    assert live_event(1, payload) is None


def test_a_snapshot_id_names_the_position_and_the_change_it_reflects() -> None:
    g = pb.Generation(id="gen-1", status=pb.GENERATION_STATUS_RUNNING, progress=50)
    g.updated_at.FromDatetime(RECORDED)

    frame, cursor, ended = snapshot(g, position=9)

    assert cursor == Cursor(9, int(RECORDED.timestamp()) * 1_000_000 + 123456)
    assert frame.startswith(f"id: {cursor.text}\nevent: progress\n".encode())
    assert not ended


def test_live_stream_settings_are_read_and_a_bad_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("ATELIER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/edge")
    assert load_settings(EdgeSettings).edge_sse_heartbeat_s == 15.0
    monkeypatch.setenv("ATELIER_EDGE_SSE_HEARTBEAT_S", "0")

    with pytest.raises(SettingsError) as raised:
        load_settings(EdgeSettings)

    assert raised.value.problems[0].startswith("ATELIER_EDGE_SSE_HEARTBEAT_S")
