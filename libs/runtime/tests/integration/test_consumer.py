from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from atelier_runtime.bus import Publisher
from atelier_runtime.bus_names import BusNames
from atelier_runtime.consumer import Handler, IdempotentConsumer, PermanentFailure
from atelier_runtime.consumer_lag import ConsumerLag
from atelier_runtime.db import DbConnection, DbPool, create_pool


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[DbPool]:
    pool = await create_pool(database_url)
    await pool.execute("CREATE TABLE effects (event_id text NOT NULL)")
    yield pool
    await pool.close()


@pytest.fixture
def demo_stream() -> dict[str, Any]:
    return {"duplicate_window": 0.2}


@pytest.fixture
def publish(js: JetStreamContext, bus_names: BusNames) -> Callable[[str], Awaitable[None]]:
    async def publish(event_id: str) -> None:
        await Publisher(js).publish(bus_names.subject("demo", "happened"), b"{}", msg_id=event_id)

    return publish


def consumer(
    js: JetStreamContext, pool: DbPool, bus_names: BusNames, handler: Handler
) -> IdempotentConsumer:
    return IdempotentConsumer(
        js,
        pool,
        stream=bus_names.stream("demo"),
        durable="audit",
        handler=handler,
        ack_wait=5.0,
        backoff=(0.1,),
        fetch_timeout=0.2,
    )


async def record_effect(conn: DbConnection, msg: Msg) -> None:
    assert msg.headers is not None
    await conn.execute("INSERT INTO effects VALUES ($1)", msg.headers["Nats-Msg-Id"])


async def effects(pool: DbPool) -> list[str]:
    return [row["event_id"] for row in await pool.fetch("SELECT event_id FROM effects")]


async def process_until(
    audit: IdempotentConsumer, done: Callable[[], Awaitable[bool]], within_s: float = 10.0
) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not await done():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await audit.process_batch()


async def settled(js: JetStreamContext, bus_names: BusNames) -> bool:
    info = await js.consumer_info(bus_names.stream("demo"), "audit")
    return bool(info.num_ack_pending == 0 and info.num_pending == 0)


async def test_a_message_delivered_again_is_acked_without_running_the_handler(
    js: JetStreamContext,
    pool: DbPool,
    bus_names: BusNames,
    publish: Callable[[str], Awaitable[None]],
) -> None:
    audit = consumer(js, pool, bus_names, record_effect)
    await publish("evt-1")
    assert await audit.process_batch() == 1

    # A resend after the stream's duplicate window has passed reaches the consumer again.
    subject = bus_names.subject("demo", "happened")

    async def stored_again() -> bool:
        ack = await Publisher(js).publish(subject, b"{}", msg_id="evt-1")
        return not ack.duplicate

    await process_until(audit, stored_again)
    await process_until(audit, lambda: settled(js, bus_names))

    assert (await js.stream_info(bus_names.stream("demo"))).state.messages == 2
    assert await effects(pool) == ["evt-1"]
    assert await pool.fetchval("SELECT count(*) FROM processed_messages") == 1


async def test_a_failing_handler_is_rolled_back_and_retried_after_the_backoff(
    js: JetStreamContext,
    pool: DbPool,
    bus_names: BusNames,
    publish: Callable[[str], Awaitable[None]],
) -> None:
    attempts: list[int] = []

    async def fail_first(conn: DbConnection, msg: Msg) -> None:
        attempts.append(msg.metadata.num_delivered)
        await record_effect(conn, msg)
        if len(attempts) == 1:
            raise ConnectionError("downstream unavailable")

    audit = consumer(js, pool, bus_names, fail_first)
    await publish("evt-1")

    async def handled() -> bool:
        return await effects(pool) == ["evt-1"]

    await process_until(audit, handled)

    assert attempts == [1, 2]
    await process_until(audit, lambda: settled(js, bus_names))


async def test_a_permanent_failure_terminates_the_message_without_retrying(
    js: JetStreamContext,
    pool: DbPool,
    bus_names: BusNames,
    publish: Callable[[str], Awaitable[None]],
) -> None:
    calls: list[str] = []

    async def reject(conn: DbConnection, msg: Msg) -> None:
        calls.append(msg.subject)
        await record_effect(conn, msg)
        raise PermanentFailure("unknown account")

    audit = consumer(js, pool, bus_names, reject)
    await publish("evt-1")
    assert await audit.process_batch() == 1

    # Terminated, so nothing is left pending; a nak would have kept it pending.
    await process_until(audit, lambda: settled(js, bus_names))
    assert len(calls) == 1
    assert await effects(pool) == []
    assert await pool.fetchval("SELECT count(*) FROM processed_messages") == 0


async def test_the_handler_runs_in_the_trace_of_the_publisher(
    js: JetStreamContext,
    pool: DbPool,
    bus_names: BusNames,
    publish: Callable[[str], Awaitable[None]],
) -> None:
    seen: list[int] = []

    async def remember_trace(conn: DbConnection, msg: Msg) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    with TracerProvider().get_tracer("test").start_as_current_span("request") as span:
        await publish("evt-1")
    audit = consumer(js, pool, bus_names, remember_trace)

    assert await audit.process_batch() == 1
    assert seen == [span.get_span_context().trace_id]


async def test_a_message_without_an_event_id_is_deduplicated_by_its_stream_sequence(
    js: JetStreamContext, pool: DbPool, bus_names: BusNames
) -> None:
    await js.publish(bus_names.subject("demo", "happened"), b"{}")
    keys: list[str] = []

    async def remember(conn: DbConnection, msg: Msg) -> None:
        keys.extend(await conn.fetchval("SELECT array_agg(msg_id) FROM processed_messages"))

    assert await consumer(js, pool, bus_names, remember).process_batch() == 1
    assert keys == [f"{bus_names.stream('demo')}:1"]


async def test_the_backlog_gauge_counts_what_the_consumer_has_not_acknowledged(
    js: JetStreamContext,
    pool: DbPool,
    bus_names: BusNames,
    publish: Callable[[str], Awaitable[None]],
) -> None:
    audit = consumer(js, pool, bus_names, record_effect)
    await audit.start()
    lag = ConsumerLag(js, bus_names.stream("demo"), "audit")
    for event_id in ("evt-1", "evt-2", "evt-3"):
        await publish(event_id)

    assert await lag.measure() == 3
    await process_until(audit, lambda: _caught_up(lag))

    assert lag.messages == 0


async def _caught_up(lag: ConsumerLag) -> bool:
    return await lag.measure() == 0
