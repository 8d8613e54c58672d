"""The acceptance test: events written through the outbox take effect exactly once downstream,
although the relay is SIGKILLed mid-run and a consumer dies between its commit and its ack."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import nats.errors
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from atelier_runtime.bus import connect
from atelier_runtime.bus_names import BusNames
from atelier_runtime.consumer import Handler, IdempotentConsumer
from atelier_runtime.db import DbConnection, DbPool, create_pool
from atelier_runtime.outbox import add_to_outbox, install_outbox
from atelier_testing.polling import eventually

N = 300
EVENT_IDS = [f"evt-{i:03d}" for i in range(N)]
LOST_ACK_ID = EVENT_IDS[100]
FLAKY_IDS = frozenset(EVENT_IDS[i] for i in (0, 50, 150, 200, 250))
RELAY_SCRIPT = Path(__file__).with_name("outbox_relay_process.py")
Process = asyncio.subprocess.Process


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[DbPool]:
    pool = await create_pool(database_url, max_size=10)
    await install_outbox(pool)
    await pool.execute("CREATE TABLE effects (id bigserial PRIMARY KEY, event_id text NOT NULL)")
    yield pool
    await pool.close()


@pytest.fixture
async def start_relay(
    database_url: str, nats_url: str, bus_names: BusNames, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Process]]]:
    started: list[Process] = []

    async def start(*options: str) -> Process:
        with (tmp_path / f"relay-{len(started)}.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(RELAY_SCRIPT),
                database_url,
                nats_url,
                bus_names.stream("demo"),
                *options,
                stdout=log,
                stderr=log,
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


@dataclass
class Downstream:
    """The consumer's side effect: one `effects` row per handled event, with no unique key."""

    calls: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    async def handle(self, conn: DbConnection, msg: Msg) -> None:
        event_id = msg.headers["Nats-Msg-Id"] if msg.headers else ""
        self.calls.append(event_id)
        await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", event_id)
        if event_id in FLAKY_IDS and event_id not in self.failed:
            self.failed.add(event_id)
            raise RuntimeError("downstream hiccup")  # rolls the effect back; naked, retried


async def write_events(pool: DbPool, bus_names: BusNames) -> None:
    """Ten transactions of thirty, running concurrently so their inserts interleave."""

    async def write(batch: list[str]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            for event_id in batch:
                await add_to_outbox(
                    conn,
                    event_id=event_id,
                    subject=bus_names.subject("demo", "happened"),
                    payload=event_id.encode(),
                )

    await asyncio.gather(*(write(EVENT_IDS[i : i + 30]) for i in range(0, N, 30)))


async def stored_count(js: JetStreamContext, bus_names: BusNames) -> int:
    return (await js.stream_info(bus_names.stream("demo"))).state.messages


def consumer(
    js: JetStreamContext, pool: DbPool, bus_names: BusNames, handler: Handler
) -> IdempotentConsumer:
    return IdempotentConsumer(
        js,
        pool,
        stream=bus_names.stream("demo"),
        durable="effects",
        handler=handler,
        ack_wait=1.0,
        backoff=(0.2,),
        max_deliver=5,
    )


async def relay_with_a_crash(
    start_relay: Callable[..., Awaitable[Process]],
    pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
) -> None:
    first = await start_relay("--throttle", "0.05")

    async def some_published() -> bool:
        return await stored_count(js, bus_names) >= 30

    await eventually(some_published, 30.0)
    first.kill()
    await first.wait()
    assert await stored_count(js, bus_names) < N, "the relay should die mid-run"

    second = await start_relay()

    async def cursor_at_the_end() -> bool:
        return bool(
            await pool.fetchval(
                "SELECT (c.tx_id, c.position) = (o.tx_id, o.position) FROM outbox_cursor c,"
                " (SELECT tx_id, position FROM outbox ORDER BY tx_id DESC, position DESC LIMIT 1) o"
                " WHERE c.source = 'outbox'"
            )
        )

    await eventually(cursor_at_the_end, 30.0)
    second.kill()
    await second.wait()


async def consume_until_the_ack_is_lost(
    nats_url: str, pool: DbPool, bus_names: BusNames, downstream: Downstream
) -> None:
    """A consumer whose connection dies right after handling LOST_ACK_ID: committed, not acked."""
    nc: NATS = await connect(nats_url, "consumer-that-dies")

    async def handle_then_die(conn: DbConnection, msg: Msg) -> None:
        await downstream.handle(conn, msg)
        if msg.headers and msg.headers["Nats-Msg-Id"] == LOST_ACK_ID:
            await nc.close()

    dying = consumer(nc.jetstream(), pool, bus_names, handle_then_die)

    async def consume_until_it_fails() -> None:
        async with asyncio.timeout(30):
            while True:
                await dying.process_batch()

    with pytest.raises(nats.errors.ConnectionClosedError):
        await consume_until_it_fails()


async def consume_the_rest(
    nats_url: str, js: JetStreamContext, pool: DbPool, bus_names: BusNames, downstream: Downstream
) -> None:
    nc = await connect(nats_url, "consumer-that-survives")
    running = asyncio.create_task(
        consumer(nc.jetstream(), pool, bus_names, downstream.handle).run()
    )

    async def settled() -> bool:
        info = await js.consumer_info(bus_names.stream("demo"), "effects")
        processed = await pool.fetchval("SELECT count(*) FROM processed_messages")
        return bool(processed == N and info.num_ack_pending == 0 and info.num_pending == 0)

    await eventually(settled, 30.0)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await nc.close()


async def test_every_event_takes_effect_exactly_once_despite_a_killed_relay_and_a_lost_ack(
    nats_url: str,
    pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    start_relay: Callable[..., Awaitable[Process]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="atelier_runtime.consumer")
    await write_events(pool, bus_names)

    await relay_with_a_crash(start_relay, pool, js, bus_names)
    assert await stored_count(js, bus_names) == N  # resent batches were deduplicated by msg id

    downstream = Downstream()
    await consume_until_the_ack_is_lost(nats_url, pool, bus_names, downstream)
    await consume_the_rest(nats_url, js, pool, bus_names, downstream)

    per_event = await pool.fetch("SELECT event_id, count(*) AS n FROM effects GROUP BY event_id")
    assert {row["event_id"]: row["n"] for row in per_event} == dict.fromkeys(EVENT_IDS, 1)
    assert await pool.fetchval("SELECT count(*) FROM processed_messages") == N
    assert f"skipped duplicate {LOST_ACK_ID}" in caplog.text  # it was redelivered...
    assert downstream.calls.count(LOST_ACK_ID) == 1  # ...and not handled again
    assert all(downstream.calls.count(event_id) == 2 for event_id in FLAKY_IDS)
