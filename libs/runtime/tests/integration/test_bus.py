from __future__ import annotations

import socket

import pytest
from nats.js import JetStreamContext
from opentelemetry.sdk.trace import TracerProvider

from atelier_runtime.bus import OutgoingMessage, Publisher, connect, ensure_stream
from atelier_runtime.bus_names import BusNames


@pytest.fixture
def js(jetstream: JetStreamContext) -> JetStreamContext:
    """JetStream without the "demo" stream: these tests create it themselves."""
    return jetstream


async def test_ensure_stream_creates_then_updates_the_service_stream(
    js: JetStreamContext, bus_names: BusNames
) -> None:
    created = await ensure_stream(js, bus_names, "demo", duplicate_window=60)
    again = await ensure_stream(js, bus_names, "demo", duplicate_window=60)
    updated = await ensure_stream(js, bus_names, "demo", duplicate_window=30)

    assert created.config.name == bus_names.stream("demo")
    assert created.config.subjects == [bus_names.subjects("demo")]
    assert again.config.duplicate_window == 60
    assert updated.config.duplicate_window == 30


async def test_a_resend_with_the_same_msg_id_is_stored_once(
    js: JetStreamContext, bus_names: BusNames
) -> None:
    await ensure_stream(js, bus_names, "demo")
    publisher = Publisher(js)
    subject = bus_names.subject("demo", "happened")

    first = await publisher.publish(subject, b"one", msg_id="evt-1")
    second = await publisher.publish(subject, b"one", msg_id="evt-1")

    assert not first.duplicate
    assert second.duplicate
    stored = await js.get_msg(bus_names.stream("demo"), seq=1)
    assert stored.headers is not None
    assert stored.headers["Nats-Msg-Id"] == "evt-1"
    assert (await js.stream_info(bus_names.stream("demo"))).state.messages == 1


async def test_a_message_carries_the_trace_context_it_was_published_in(
    js: JetStreamContext, bus_names: BusNames
) -> None:
    await ensure_stream(js, bus_names, "demo")
    tracer = TracerProvider().get_tracer("test")

    with tracer.start_as_current_span("request") as span:
        await Publisher(js).publish(bus_names.subject("demo", "happened"), b"x", msg_id="evt-2")

    stored = await js.get_msg(bus_names.stream("demo"), seq=1)
    assert stored.headers is not None
    trace_id = f"{span.get_span_context().trace_id:032x}"
    assert stored.headers["traceparent"].split("-")[1] == trace_id


async def test_a_batch_is_stored_in_the_order_given(
    js: JetStreamContext, bus_names: BusNames
) -> None:
    await ensure_stream(js, bus_names, "demo")
    subject = bus_names.subject("demo", "happened")
    batch = [OutgoingMessage(subject, f"{i}".encode(), msg_id=f"evt-{i}") for i in range(200)]

    acks = await Publisher(js).publish_in_order(batch)

    assert [ack.seq for ack in acks] == list(range(1, 201))
    last = await js.get_msg(bus_names.stream("demo"), seq=200)
    assert last.data == b"199"


async def test_headers_given_by_the_caller_win_over_the_current_trace_context(
    js: JetStreamContext, bus_names: BusNames
) -> None:
    await ensure_stream(js, bus_names, "demo")
    stored_traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    tracer = TracerProvider().get_tracer("test")

    with tracer.start_as_current_span("relay"):
        await Publisher(js).publish_in_order(
            [
                OutgoingMessage(
                    bus_names.subject("demo", "happened"),
                    b"x",
                    msg_id="evt-3",
                    headers={"traceparent": stored_traceparent},
                )
            ]
        )

    stored = await js.get_msg(bus_names.stream("demo"), seq=1)
    assert stored.headers is not None
    assert stored.headers["traceparent"] == stored_traceparent


async def test_an_unreachable_server_at_start_fails_with_its_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"nats://127.0.0.1:{probe.getsockname()[1]}"

    with pytest.raises(ConnectionError, match=url):
        await connect(url, "test-bus", first_connect_s=0.5)


async def test_a_stream_can_allow_scheduled_messages(
    js: JetStreamContext, bus_names: BusNames
) -> None:
    info = await ensure_stream(js, bus_names, "demo", allow_msg_schedules=True)

    assert info.config.allow_msg_schedules is True
