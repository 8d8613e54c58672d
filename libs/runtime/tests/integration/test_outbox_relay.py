from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest
from nats.js import JetStreamContext
from opentelemetry.sdk.trace import TracerProvider

from atelier_runtime.bus import OutgoingMessage, Publisher
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbConnection, DbPool, apply_migrations
from atelier_runtime.outbox import add_to_outbox, prune_outbox
from atelier_runtime.outbox_relay import OutboxRelay
from atelier_runtime.relay_source import tx_ordered_batch_query
from atelier_testing.infrastructure import Servers
from atelier_testing.polling import eventually
from atelier_testing.streams import stored_msg_ids


@pytest.fixture
async def relays(
    database_url: str, js: JetStreamContext, bus_names: BusNames
) -> AsyncIterator[Callable[[], OutboxRelay]]:
    made: list[OutboxRelay] = []

    def make() -> OutboxRelay:
        made.append(
            OutboxRelay(
                database_url,
                Publisher(js),
                stream=bus_names.stream("demo"),
                poll_interval=30,
                lock_retry_interval=0.05,
            )
        )
        return made[-1]

    yield make
    for relay in made:
        await relay.close()


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def add(conn: DbConnection, bus_names: BusNames, event_id: str) -> None:
    await add_to_outbox(
        conn, event_id=event_id, subject=bus_names.subject("demo", "happened"), payload=b"{}"
    )


async def add_committed(outbox_pool: DbPool, bus_names: BusNames, *event_ids: str) -> None:
    async with outbox_pool.acquire() as conn, conn.transaction():
        for event_id in event_ids:
            await add(conn, bus_names, event_id)


async def test_events_are_published_in_commit_order_when_an_earlier_position_commits_later(
    database_url: str,
    outbox_pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    relays: Callable[[], OutboxRelay],
) -> None:
    relay = relays()
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    first_tx, second_tx = first.transaction(), second.transaction()
    await first_tx.start()
    await first.fetchval("SELECT pg_current_xact_id()")  # the first takes its transaction id now
    await second_tx.start()
    await add(second, bus_names, "second-1")  # lower position, later transaction
    await add(first, bus_names, "first-1")

    await first_tx.commit()
    assert await relay.relay_once() == 1
    await second_tx.commit()
    assert await relay.relay_once() == 1

    assert await stored_msg_ids(js, bus_names.stream("demo")) == ["first-1", "second-1"]
    await first.close()
    await second.close()


async def test_events_of_an_open_older_transaction_are_waited_for_not_skipped(
    database_url: str,
    outbox_pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    relays: Callable[[], OutboxRelay],
) -> None:
    relay = relays()
    older, newer = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    older_tx = older.transaction()
    await older_tx.start()
    await add(older, bus_names, "older-1")
    async with newer.transaction():
        await add(newer, bus_names, "newer-1")

    # A reader tailing by position would publish newer-1 now and skip older-1 for good.
    assert await relay.relay_once() == 0
    await add(older, bus_names, "older-2")
    await older_tx.commit()
    assert await relay.relay_once() == 3

    assert await stored_msg_ids(js, bus_names.stream("demo")) == ["older-1", "older-2", "newer-1"]
    await older.close()
    await newer.close()


async def test_a_long_transaction_in_another_database_does_not_hold_the_relay_back(
    servers: Servers,
    outbox_pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    relays: Callable[[], OutboxRelay],
) -> None:
    relay = relays()
    neighbour = await asyncpg.connect(servers.postgres_admin_url)
    long_running = neighbour.transaction()
    await long_running.start()
    # Holding a transaction id, as a writer in the neighbouring database would.
    await neighbour.fetchval("SELECT pg_current_xact_id()")
    try:
        await add_committed(outbox_pool, bus_names, "after-the-neighbour-began")

        assert await relay.relay_once() == 1
    finally:
        await long_running.rollback()
        await neighbour.close()
    assert await stored_msg_ids(js, bus_names.stream("demo")) == ["after-the-neighbour-began"]


async def test_a_second_relay_waits_while_the_first_holds_the_lock_and_takes_over_after_it(
    outbox_pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    relays: Callable[[], OutboxRelay],
) -> None:
    first, standby = relays(), relays()
    await add_committed(outbox_pool, bus_names, "evt-1")
    assert await first.relay_once() == 1

    await add_committed(outbox_pool, bus_names, "evt-2", "evt-3")
    assert await standby.relay_once() == 0
    assert not standby.holds_lock
    standby_run = asyncio.create_task(standby.run())
    await first.close()

    async def all_published() -> bool:
        return len(await stored_msg_ids(js, bus_names.stream("demo"))) == 3

    await eventually(all_published)
    await stop(standby_run)
    assert await stored_msg_ids(js, bus_names.stream("demo")) == ["evt-1", "evt-2", "evt-3"]


async def test_a_running_relay_is_woken_by_a_commit(
    outbox_pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    relays: Callable[[], OutboxRelay],
) -> None:
    relay = relays()  # polls only every 30 s: the NOTIFY must wake it
    running = asyncio.create_task(relay.run())

    async def holds_lock() -> bool:
        return relay.holds_lock

    await eventually(holds_lock)
    await add_committed(outbox_pool, bus_names, "evt-1")

    async def published() -> bool:
        return await stored_msg_ids(js, bus_names.stream("demo")) == ["evt-1"]

    await eventually(published)
    await stop(running)


async def test_a_new_relay_resumes_after_the_stored_cursor(
    outbox_pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    relays: Callable[[], OutboxRelay],
) -> None:
    first = relays()
    await add_committed(outbox_pool, bus_names, "evt-1", "evt-2")
    assert await first.relay_once() == 2
    await first.close()

    successor = relays()
    assert await successor.relay_once() == 0
    await add_committed(outbox_pool, bus_names, "evt-3")
    assert await successor.relay_once() == 1


async def test_a_published_event_carries_the_trace_of_the_request_that_wrote_it(
    outbox_pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    relays: Callable[[], OutboxRelay],
) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        await add_committed(outbox_pool, bus_names, "evt-1")

    await relays().relay_once()

    stored = await js.get_msg(bus_names.stream("demo"), seq=1)
    assert stored.headers is not None
    assert stored.headers["traceparent"].split("-")[1] == f"{span.get_span_context().trace_id:032x}"


async def test_adding_an_event_twice_records_it_once(
    outbox_pool: DbPool, bus_names: BusNames
) -> None:
    async with outbox_pool.acquire() as conn, conn.transaction():
        first = await add_to_outbox(conn, event_id="evt-1", subject="s", payload=b"1")
        again = await add_to_outbox(conn, event_id="evt-1", subject="s", payload=b"1")

    assert (first, again) == (True, False)
    assert await outbox_pool.fetchval("SELECT count(*) FROM outbox") == 1


async def test_adding_an_event_outside_a_transaction_is_refused(outbox_pool: DbPool) -> None:
    async with outbox_pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="transaction"):
            await add_to_outbox(conn, event_id="evt-1", subject="s", payload=b"1")


async def test_pruning_removes_only_published_events(
    outbox_pool: DbPool,
    js: JetStreamContext,
    bus_names: BusNames,
    relays: Callable[[], OutboxRelay],
) -> None:
    await add_committed(outbox_pool, bus_names, "evt-1", "evt-2")
    await relays().relay_once()
    await add_committed(outbox_pool, bus_names, "evt-3")

    removed = await prune_outbox(outbox_pool, older_than=timedelta(0))

    assert removed == 2
    rows = await outbox_pool.fetch("SELECT event_id FROM outbox")
    assert [row["event_id"] for row in rows] == ["evt-3"]


STORED_EVENTS = """
CREATE TABLE stored_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    state bytea NOT NULL,
    notification_id bigserial,
    tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (originator_id, originator_version)
)
"""


@dataclass(frozen=True)
class StoredEventsSource:
    """An event-store table (eventsourcing's layout plus tx_id) as a relay source."""

    subject: str
    name: str = "stored_events"
    notify_channel: str | None = None
    batch_query: str = tx_ordered_batch_query(
        "stored_events", "originator_id, originator_version, state", position="notification_id"
    )
    lag_query: str | None = None

    def to_message(self, row: asyncpg.Record) -> OutgoingMessage:
        return OutgoingMessage(
            subject=self.subject,
            payload=bytes(row["state"]),
            msg_id=f"{row['originator_id']}:{row['originator_version']}",
        )


async def test_the_relay_publishes_from_an_event_store_table_as_well(
    database_url: str, outbox_pool: DbPool, js: JetStreamContext, bus_names: BusNames
) -> None:
    await apply_migrations(outbox_pool, "events", (STORED_EVENTS,))
    account = uuid.uuid4()
    await outbox_pool.executemany(
        "INSERT INTO stored_events (originator_id, originator_version, topic, state)"
        " VALUES ($1, $2, 'Granted', $3)",
        [(account, version, json.dumps({"v": version}).encode()) for version in (1, 2)],
    )
    source = StoredEventsSource(bus_names.subject("demo", "granted"))

    async with OutboxRelay(
        database_url, Publisher(js), source, stream=bus_names.stream("demo")
    ) as relay:
        assert await relay.relay_once() == 2

    assert await stored_msg_ids(js, bus_names.stream("demo")) == [f"{account}:1", f"{account}:2"]
    assert await outbox_pool.fetchval("SELECT source FROM outbox_cursor") == "stored_events"
