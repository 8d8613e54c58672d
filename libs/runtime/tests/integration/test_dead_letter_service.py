"""An operator lists, inspects, retries and drops a service's dead letters over gRPC."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

import grpc
import pytest
from libs.runtime.tests.integration.dead_letter_support import (
    DURABLE,
    MAX_DELIVER,
    Demo,
    FlakyHandler,
    demo,
    operator,
    serving_dead_letters,
)

from atelier.runtime.v1 import dead_letters_pb2 as pb
from atelier.runtime.v1 import dead_letters_pb2_grpc
from atelier_runtime.bus import Publisher
from atelier_runtime.dead_letter_retry import republisher
from atelier_runtime.dead_letters import park, relay_origin
from atelier_runtime.grpc_client import channel
from atelier_runtime.grpc_errors import error_details

if TYPE_CHECKING:
    Stub = dead_letters_pb2_grpc.DeadLetterServiceAsyncStub

RELAY = relay_origin("demo_outbox")


@pytest.fixture
async def d(database_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Demo]:
    # Fails every delivery JetStream makes, then succeeds: the operator's retry is the fourth call.
    handler = FlakyHandler(failures=MAX_DELIVER)
    async with demo(database_url, nats_url, bus_prefix, handler) as running:
        yield running


@pytest.fixture
async def stub(d: Demo) -> AsyncIterator[Stub]:
    async with (
        serving_dead_letters(d, republisher(Publisher(d.js))) as address,
        channel(address) as opened,
    ):
        yield dead_letters_pb2_grpc.DeadLetterServiceStub(opened)  # type: ignore[misc]


async def parked(d: Demo, event_id: str) -> int:
    await d.publish(event_id)
    await d.process_until_parked(event_id)
    letter_id: int = await d.pool.fetchval(
        "SELECT id FROM dead_letters WHERE msg_id = $1", event_id
    )
    return letter_id


async def park_for_relay(d: Demo, event_id: str, headers: Mapping[str, str]) -> int:
    async with d.pool.acquire() as conn:
        subject = d.names.subject("demo", "granted")
        await park(
            conn,
            origin=RELAY,
            msg_id=event_id,
            subject=subject,
            payload=b"relayed",
            headers=headers,
            attempts=5,
            error="TimeoutError: no ack from JetStream",
        )
    letter_id: int = await d.pool.fetchval(
        "SELECT id FROM dead_letters WHERE msg_id = $1", event_id
    )
    return letter_id


async def test_a_retry_runs_the_handler_once_and_removes_the_dead_letter(
    d: Demo, stub: Stub
) -> None:
    letter_id = await parked(d, "evt-1")

    answer = await stub.Retry(pb.RetryRequest(id=letter_id), metadata=operator())

    assert list(answer.outcomes) == [pb.RetryOutcome(id=letter_id, retried=True)]
    assert await d.effects() == ["evt-1"]
    assert await d.dead_letters() == []
    # Recorded as processed in the same transaction, so a later redelivery changes nothing.
    assert await d.pool.fetchval("SELECT count(*) FROM processed_messages") == 1
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await stub.Retry(pb.RetryRequest(id=letter_id), metadata=operator())
    assert again.value.code() is grpc.StatusCode.NOT_FOUND
    assert d.handler.calls == [1, 2, 3, MAX_DELIVER + 1]


async def test_a_retry_that_fails_again_keeps_the_letter_with_the_new_error(
    d: Demo, stub: Stub
) -> None:
    d.handler.failures = MAX_DELIVER + 1
    letter_id = await parked(d, "evt-1")

    answer = await stub.Retry(pb.RetryRequest(id=letter_id), metadata=operator())

    [outcome] = answer.outcomes
    assert not outcome.retried
    assert outcome.error == "ConnectionError: downstream unavailable (call 4)"
    [letter] = await d.dead_letters()
    assert (letter["attempts"], letter["last_error"]) == (MAX_DELIVER + 1, outcome.error)
    assert await d.effects() == []


async def test_retrying_an_origin_retries_each_of_its_letters(d: Demo, stub: Stub) -> None:
    d.handler.failures = 2 * MAX_DELIVER
    first, second = await parked(d, "evt-1"), await parked(d, "evt-2")

    answer = await stub.Retry(pb.RetryRequest(origin=DURABLE), metadata=operator())

    assert [(o.id, o.retried) for o in answer.outcomes] == [(first, True), (second, True)]
    assert answer.next_after_id == 0
    assert sorted(await d.effects()) == ["evt-1", "evt-2"]


async def test_a_relay_letter_is_published_again_with_its_event_id_and_headers(
    d: Demo, stub: Stub
) -> None:
    letter_id = await park_for_relay(
        d, "acct-1:7", {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}
    )
    probe = await d.js.subscribe(d.names.subject("demo", "granted"), ordered_consumer=True)

    answer = await stub.Retry(pb.RetryRequest(id=letter_id), metadata=operator())

    assert answer.outcomes[0].retried
    published = await probe.next_msg(timeout=5.0)
    assert published.data == b"relayed"
    assert published.headers is not None
    assert published.headers["Nats-Msg-Id"] == "acct-1:7"
    assert published.headers["traceparent"].startswith("00-" + "1" * 32)
    assert await d.dead_letters() == []


async def test_list_get_and_drop(d: Demo, stub: Stub) -> None:
    consumer_letter = await parked(d, "evt-1")
    relay_letter = await park_for_relay(d, "acct-1:7", {"k": "v"})

    first = await stub.List(pb.ListRequest(page_size=1), metadata=operator())
    rest = await stub.List(pb.ListRequest(page_token=first.next_page_token), metadata=operator())
    relay_only = await stub.List(pb.ListRequest(origin=RELAY), metadata=operator())
    got = await stub.Get(pb.GetRequest(id=relay_letter), metadata=operator())
    await stub.Drop(pb.DropRequest(id=relay_letter), metadata=operator())

    assert [letter.id for letter in first.dead_letters] == [consumer_letter]
    assert [letter.id for letter in rest.dead_letters] == [relay_letter]
    assert rest.next_page_token == ""
    assert [letter.origin for letter in relay_only.dead_letters] == [RELAY]
    summary = got.dead_letter.summary
    assert (summary.msg_id, summary.attempts, summary.payload_size) == ("acct-1:7", 5, 7)
    assert summary.last_error == "TimeoutError: no ack from JetStream"
    assert (dict(got.dead_letter.headers), got.dead_letter.payload) == ({"k": "v"}, b"relayed")
    assert [letter["id"] for letter in await d.dead_letters()] == [consumer_letter]


async def test_what_cannot_be_done_is_refused_with_its_reason(d: Demo, stub: Stub) -> None:
    async def refusal(call: object) -> tuple[grpc.StatusCode, str]:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call  # type: ignore[misc]
        info, _ = error_details(refused.value)
        return refused.value.code(), info.reason if info is not None else ""

    assert await refusal(stub.Drop(pb.DropRequest(id=404), metadata=operator())) == (
        grpc.StatusCode.NOT_FOUND,
        "DEAD_LETTER_NOT_FOUND",
    )
    assert await refusal(stub.Get(pb.GetRequest(id=0), metadata=operator())) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )
    assert await refusal(
        stub.Retry(pb.RetryRequest(origin="gone-consumer"), metadata=operator())
    ) == (grpc.StatusCode.FAILED_PRECONDITION, "NO_RETRY_PATH")
    assert await refusal(stub.List(pb.ListRequest())) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "CREDENTIAL_MISSING",
    )
