"""A consumer that cannot process a message parks it as a dead letter instead of losing it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from libs.runtime.tests.integration.dead_letter_support import (
    DURABLE,
    MAX_DELIVER,
    FlakyHandler,
    demo,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

from atelier_runtime.db import DbPool, create_pool
from atelier_runtime.dead_letters import MAX_ERROR_CHARS, install_dead_letters, park
from atelier_testing.polling import eventually


def dead_letter_counts(reader: InMemoryMetricReader) -> dict[str, float]:
    data = reader.get_metrics_data()
    if data is None:
        return {}
    return {
        str(point.attributes["origin"]): point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "atelier.messaging.dead_letters"
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint) and point.attributes
    }


async def test_a_message_failing_its_last_delivery_is_parked_once_counted_and_terminated(
    database_url: str, nats_url: str, bus_prefix: str
) -> None:
    reader = InMemoryMetricReader()
    handler = FlakyHandler(failures=100)
    async with demo(
        database_url, nats_url, bus_prefix, handler, MeterProvider(metric_readers=[reader])
    ) as d:
        await d.publish("evt-1", b"grant 10")
        await d.process_until_parked("evt-1")

        # Terminated: nothing pending, and nothing comes back after the ack wait (1 s) passes.
        # The ack follows the parking's commit; the server counts it a moment later.
        await eventually(d.settled, what="the parked message acked")
        await asyncio.sleep(1.5)
        assert await d.consumer.process_batch() == 0

        [letter] = await d.dead_letters()
        assert handler.calls == [1, 2, 3]
        assert await d.effects() == []
        assert letter["origin"] == DURABLE
        assert letter["msg_id"] == "evt-1"
        assert letter["subject"] == d.names.subject("demo", "granted")
        assert letter["payload"] == b"grant 10"
        assert letter["attempts"] == MAX_DELIVER
        assert letter["last_error"] == "ConnectionError: downstream unavailable (call 3)"
        assert dead_letter_counts(reader) == {DURABLE: 1}


async def test_a_permanent_failure_is_parked_at_the_first_delivery(
    database_url: str, nats_url: str, bus_prefix: str
) -> None:
    handler = FlakyHandler(failures=1, permanent=True)
    async with demo(database_url, nats_url, bus_prefix, handler) as d:
        await d.publish("evt-1")
        await d.process_until_parked("evt-1")

        [letter] = await d.dead_letters()
        assert handler.calls == [1]
        assert letter["attempts"] == 1
        assert letter["last_error"] == "PermanentFailure: unknown account acct-404"
        # The ack follows the parking's commit; the server counts it a moment later.
        await eventually(d.settled, what="the parked message acked")


async def test_a_message_delivered_past_the_limit_is_parked_without_running_the_handler(
    database_url: str, nats_url: str, bus_prefix: str
) -> None:
    # As if each earlier delivery had died in the handler: the ack wait ran out every time.
    handler = FlakyHandler(failures=0)
    async with demo(database_url, nats_url, bus_prefix, handler) as d:
        await d.publish("evt-1")
        subscription = await d.consumer.start()
        for _ in range(MAX_DELIVER):
            [unanswered] = await subscription.fetch(1, timeout=5.0)
            await asyncio.sleep(1.1)  # past the ack wait: JetStream delivers it again
        await d.process_until_parked("evt-1")

        [letter] = await d.dead_letters()
        assert handler.calls == []
        assert letter["attempts"] == MAX_DELIVER + 1
        assert "earlier attempts did not finish" in str(letter["last_error"])
        assert unanswered.metadata.num_delivered == MAX_DELIVER


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[DbPool]:
    created = await create_pool(database_url)
    await install_dead_letters(created)
    yield created
    await created.close()


async def test_parking_the_same_message_twice_keeps_one_dead_letter(pool: DbPool) -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    async with pool.acquire() as conn:
        for attempt in (1, 2):
            await park(
                conn,
                origin="relay:credits_events",
                msg_id="acct-1:7",
                subject="atelier.credits.granted",
                payload=b"\x00\x01",
                headers={"traceparent": "00-abc-def-01"},
                attempts=attempt,
                error="TimeoutError: no ack" + "!" * MAX_ERROR_CHARS,
                meter_provider=provider,
            )

    rows = await pool.fetch("SELECT attempts, headers, last_error FROM dead_letters")
    assert [row["attempts"] for row in rows] == [1]
    assert rows[0]["headers"] == '{"traceparent": "00-abc-def-01"}'
    assert len(rows[0]["last_error"]) == MAX_ERROR_CHARS
    assert dead_letter_counts(reader) == {"relay:credits_events": 1}
