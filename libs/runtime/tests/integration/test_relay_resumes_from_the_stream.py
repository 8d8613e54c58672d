"""The relay takes its place from the stream: killed between publishing and storing its cursor,
restarted long after JetStream's duplicate window, it publishes nothing twice; a message lost
mid-batch never lets a later one overtake it; an event no stream can take is parked."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from nats.js import JetStreamContext
from nats.js.api import PubAck

from atelier_runtime.bus import OutgoingMessage, Publisher
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool
from atelier_runtime.dead_letters import install_dead_letters, relay_parking
from atelier_runtime.outbox import add_to_outbox
from atelier_runtime.outbox_relay import OutboxRelay
from atelier_runtime.relay_source import RelayCursor, load_cursor
from atelier_testing.polling import eventually
from atelier_testing.streams import stored_msg_ids

# Shortened from the production two minutes, so waiting it out costs the test a second.
DUPLICATE_WINDOW_S = 1.0


class Killed(BaseException):
    """Stands for SIGKILL at a chosen point: nothing after it runs, no handler catches it."""


@pytest.fixture
def demo_stream() -> dict[str, Any]:
    return {"duplicate_window": DUPLICATE_WINDOW_S}


async def add_events(
    outbox_pool: DbPool, bus_names: BusNames, *event_ids: str, size: int = 2
) -> None:
    async with outbox_pool.acquire() as conn, conn.transaction():
        for event_id in event_ids:
            await add_to_outbox(
                conn,
                event_id=event_id,
                subject=bus_names.subject("demo", "happened"),
                payload=b"x" * size,
            )


class DiesAfterPublishing(Publisher):
    """Publishes for real, then the process dies before the relay can store its cursor."""

    async def publish_in_order(
        self, messages: Sequence[OutgoingMessage], *, after: str | None = None
    ) -> list[PubAck]:
        await super().publish_in_order(messages, after=after)
        raise Killed


class LosesOneMessage:
    """JetStream, except that one message never reaches the server (its ack times out)."""

    def __init__(self, js: JetStreamContext, lost: str) -> None:
        self._js, self._lost, self._nc = js, lost, js._nc

    async def publish_async(self, subject: str, payload: bytes, **options: Any) -> Any:
        if options["headers"]["Nats-Msg-Id"] == self._lost:
            self._lost = ""  # lost once; a resend gets through
            never: asyncio.Future[PubAck] = asyncio.get_running_loop().create_future()
            never.set_exception(TimeoutError("no ack"))
            return never
        return await self._js.publish_async(subject, payload, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._js, name)


async def test_a_relay_killed_before_storing_its_cursor_never_republishes_past_the_window(
    database_url: str, outbox_pool: DbPool, js: JetStreamContext, bus_names: BusNames
) -> None:
    events = [f"evt-{n}" for n in range(20)]
    await add_events(outbox_pool, bus_names, *events)
    dying = OutboxRelay(database_url, DiesAfterPublishing(js), stream=bus_names.stream("demo"))
    with pytest.raises(Killed):
        await dying.relay_once()
    await dying.close()
    async with outbox_pool.acquire() as conn:
        assert await load_cursor(conn, "outbox") == RelayCursor()  # killed before storing it
    await asyncio.sleep(DUPLICATE_WINDOW_S * 2)  # JetStream no longer knows these msg ids
    await add_events(outbox_pool, bus_names, "evt-after")

    async with OutboxRelay(
        database_url, Publisher(js), stream=bus_names.stream("demo")
    ) as restarted:
        assert await restarted.relay_once() == 1

    assert await stored_msg_ids(js, bus_names.stream("demo")) == [*events, "evt-after"]


async def test_a_message_lost_mid_batch_is_resent_before_any_later_one(
    database_url: str, outbox_pool: DbPool, js: JetStreamContext, bus_names: BusNames
) -> None:
    events = [f"evt-{n}" for n in range(10)]
    await add_events(outbox_pool, bus_names, *events)
    flaky = Publisher(LosesOneMessage(js, lost="evt-4"))  # type: ignore[arg-type]

    async with OutboxRelay(database_url, flaky, stream=bus_names.stream("demo")) as relay:
        with pytest.raises(TimeoutError):
            await relay.relay_once()
        assert await stored_msg_ids(js, bus_names.stream("demo")) == events[:4]
        await relay.relay_once()

    assert await stored_msg_ids(js, bus_names.stream("demo")) == events


async def test_an_event_no_stream_can_take_is_parked_as_a_dead_letter_and_the_rest_go_on(
    database_url: str, outbox_pool: DbPool, js: JetStreamContext, bus_names: BusNames
) -> None:
    await install_dead_letters(outbox_pool)
    await add_events(outbox_pool, bus_names, "small-1")
    await add_events(outbox_pool, bus_names, "huge", size=2 * 1024 * 1024)
    await add_events(outbox_pool, bus_names, "small-2")
    relay = OutboxRelay(
        database_url, Publisher(js), stream=bus_names.stream("demo"), park=relay_parking("outbox")
    )
    async with relay:
        while await relay.relay_once():
            pass

    assert await stored_msg_ids(js, bus_names.stream("demo")) == ["small-1", "small-2"]
    parked = await outbox_pool.fetch("SELECT origin, msg_id, last_error FROM dead_letters")
    assert [(row["origin"], row["msg_id"]) for row in parked] == [("relay:outbox", "huge")]
    assert "exceed the server's limit" in parked[0]["last_error"]


class Unreachable(Publisher):
    async def publish_in_order(
        self, messages: Sequence[OutgoingMessage], *, after: str | None = None
    ) -> list[PubAck]:
        raise ConnectionError("nats: no servers available")


async def test_a_relay_failing_for_long_says_so_and_measures_what_waits(
    database_url: str, outbox_pool: DbPool, js: JetStreamContext, bus_names: BusNames
) -> None:
    await add_events(outbox_pool, bus_names, "evt-1", "evt-2")
    relay = OutboxRelay(
        database_url, Unreachable(js), stream=bus_names.stream("demo"), retry_delay=0.01
    )
    running = asyncio.create_task(relay.run())
    try:

        async def stuck() -> bool:
            return relay.problem(stuck_after_s=0.2) is not None

        await eventually(stuck, 10, what="the relay reporting it is stuck")
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert "no servers available" in (relay.problem(stuck_after_s=0.2) or "")

    async with OutboxRelay(database_url, Publisher(js), stream=bus_names.stream("demo")) as healthy:
        await healthy.relay_once()  # takes the lock, publishes both
        await add_events(outbox_pool, bus_names, "evt-3")
        lag = await healthy.measure_lag()
    assert lag is not None
    assert lag.events == 1
    assert healthy.problem(stuck_after_s=0.2) is None
