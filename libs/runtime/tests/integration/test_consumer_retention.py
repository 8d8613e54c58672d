"""Processed message ids are kept longer than the stream keeps messages, then pruned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from libs.runtime.tests.integration.dead_letter_support import DURABLE, Demo, FlakyHandler, demo

from atelier_runtime.bus import Publisher
from atelier_runtime.processed_messages import prune_processed
from atelier_runtime.retention import PROCESSED_ID_RETENTION, STREAM_MAX_AGE
from atelier_testing.polling import eventually


@pytest.fixture
async def d(database_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Demo]:
    async with demo(database_url, nats_url, bus_prefix, FlakyHandler(failures=0)) as running:
        yield running


async def processed_at(d: Demo, msg_id: str, age: timedelta, consumer: str = DURABLE) -> None:
    await d.pool.execute(
        "INSERT INTO processed_messages (consumer, msg_id, processed_at) VALUES ($1, $2, now() - $3::interval)",
        consumer,
        msg_id,
        age,
    )


async def remembered(d: Demo) -> set[str]:
    rows = await d.pool.fetch("SELECT consumer || '/' || msg_id AS id FROM processed_messages")
    return {row["id"] for row in rows}


def test_ids_outlive_every_message_the_stream_could_redeliver() -> None:
    assert PROCESSED_ID_RETENTION > STREAM_MAX_AGE


async def test_pruning_forgets_ids_past_the_retention_and_keeps_recent_ones(d: Demo) -> None:
    await processed_at(d, "evt-old", PROCESSED_ID_RETENTION + timedelta(hours=1))
    await processed_at(d, "evt-recent", STREAM_MAX_AGE)
    await processed_at(d, "evt-old", PROCESSED_ID_RETENTION + timedelta(hours=1), "other")

    assert await d.consumer.prune() == 1

    # Another consumer's ids are its own to prune.
    assert await remembered(d) == {f"{DURABLE}/evt-recent", "other/evt-old"}


async def test_pruning_deletes_in_bounded_batches_until_none_is_left(d: Demo) -> None:
    for n in range(7):
        await processed_at(d, f"evt-{n}", PROCESSED_ID_RETENTION + timedelta(minutes=n + 1))

    assert await prune_processed(d.pool, DURABLE, PROCESSED_ID_RETENTION, batch=3) == 7
    assert await remembered(d) == set()


async def test_a_redelivery_within_the_retention_is_still_a_no_op_after_pruning(d: Demo) -> None:
    await d.publish("evt-1")
    assert await d.consumer.process_batch() == 1
    await d.consumer.prune()

    # A resend after the stream's duplicate window reaches the consumer as a new message.
    async def stored_again() -> bool:
        ack = await Publisher(d.js).publish(
            d.names.subject("demo", "granted"), b"{}", msg_id="evt-1"
        )
        return not ack.duplicate

    await eventually(stored_again, within_s=5.0)
    await eventually(lambda: _processed_all(d), within_s=10.0)

    assert await d.effects() == ["evt-1"]
    assert d.handler.calls == [1]


async def _processed_all(d: Demo) -> bool:
    await d.consumer.process_batch()
    return await d.settled()


async def test_a_running_consumer_prunes_on_its_own(d: Demo) -> None:
    await processed_at(d, "evt-old", PROCESSED_ID_RETENTION + timedelta(hours=1))
    running = asyncio.create_task(d.consumer.run())
    try:

        async def forgotten() -> bool:
            return await remembered(d) == set()

        await eventually(forgotten, within_s=5.0)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
