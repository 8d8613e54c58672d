"""GET /v1/generations/{id}/events against real generation and credits services and NATS: every
event once, in order, resumable by id, a snapshot where history is missing, one NATS subscription
per edge process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext
from services.edge.tests.edge_server import ACCOUNT_HEADER, ServedEdge, edge_settings, serving_edge
from services.edge.tests.sse_reading import Received, received
from services.generation.tests.saga_support import SagaClients

from atelier.generation.v1 import generation_pb2 as pb
from atelier_edge.live.decoding import live_event
from atelier_edge.live.events import Cursor, LiveEvent
from atelier_runtime.bus_names import BusNames
from atelier_testing.polling import eventually

TERMINAL = {"succeeded", "failed", "canceled"}


async def events_on_the_bus(
    js: JetStreamContext, names: BusNames, generation_id: str
) -> list[LiveEvent]:
    """Ground truth: the generation's events as its stream stores them."""
    stream = names.stream("generation")
    last = (await js.stream_info(stream)).state.last_seq
    found = []
    for seq in range(1, last + 1):
        event = live_event(seq, (await js.get_msg(stream, seq=seq)).data or b"")
        if event is not None and event.generation_id == generation_id:
            found.append(event)
    return found


def path(generation_id: str) -> str:
    return f"/v1/generations/{generation_id}/events"


async def stream(
    edge: ServedEdge, account: str, generation_id: str, *, until: str = "", **headers: str
) -> list[Received]:
    """The events of one stream, read until it ends (or until an event of kind `until`, "*": any)."""
    got: list[Received] = []
    async with httpx.AsyncClient(base_url=edge.url, timeout=30) as client:
        request_headers = {ACCOUNT_HEADER: account, **headers}
        async with client.stream("GET", path(generation_id), headers=request_headers) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            async for item in received(response):
                if item.kind:
                    got.append(item)
                    if until in (item.kind, "*"):
                        break
    return got


async def ended(backends: SagaClients, account: str, generation_id: str) -> pb.Generation:
    return await backends.settled(account, generation_id)


def reflected(snapshot: Received, truth: list[LiveEvent]) -> list[int]:
    """The events a snapshot stands for: read before its position, or recorded before its time."""
    cursor = Cursor.parse(snapshot.id)
    return [e.seq for e in truth if not cursor.admits(e)]


@pytest.fixture
async def account(backends: SagaClients) -> str:
    return await backends.funded_account()


async def test_a_client_receives_every_event_of_its_generation_then_the_stream_ends(
    edge: ServedEdge,
    backends: SagaClients,
    account: str,
    jetstream: JetStreamContext,
    bus_names: BusNames,
) -> None:
    g = await backends.submit(account)

    got = await stream(edge, account, g.id)

    truth = await events_on_the_bus(jetstream, bus_names, g.id)
    first, live = got[0], got[1:]
    assert first.body["snapshot"] is True
    assert [e.seq for e in live] == [e.seq for e in truth if Cursor.parse(first.id).admits(e)]
    assert [e.kind for e in live] == [e.kind for e in truth[-len(live) :]]
    assert sum(e.kind == "progress" for e in live) >= 2
    assert live[-1].kind == "succeeded"
    assert live[-1].body["outputs"]
    assert [e.seq for e in live] == sorted({e.seq for e in live})


async def test_a_resume_by_last_event_id_gets_the_rest_without_repeats(
    edge: ServedEdge,
    backends: SagaClients,
    account: str,
    jetstream: JetStreamContext,
    bus_names: BusNames,
) -> None:
    g = await backends.submit(account)
    before = await stream(edge, account, g.id, until="progress")

    after = await stream(edge, account, g.id, **{"Last-Event-ID": before[-1].id})

    truth = await events_on_the_bus(jetstream, bus_names, g.id)
    assert not any(e.body.get("snapshot") for e in after)
    seen = reflected(before[0], truth) + [e.seq for e in before[1:] + after]
    assert seen == [e.seq for e in truth]
    assert after[-1].kind == "succeeded"


async def test_the_query_parameter_resumes_like_the_header(
    edge: ServedEdge, backends: SagaClients, account: str
) -> None:
    g = await backends.submit(account)
    before = await stream(edge, account, g.id, until="progress")

    async with httpx.AsyncClient(base_url=edge.url, timeout=30) as client:
        url = f"{path(g.id)}?last_event_id={before[-1].id}"
        async with client.stream("GET", url, headers={ACCOUNT_HEADER: account}) as response:
            after = [item async for item in received(response) if item.kind]

    assert after
    assert min(e.seq for e in after) > before[-1].seq
    assert after[-1].kind == "succeeded"


async def test_a_resume_on_an_edge_that_started_later_begins_with_a_snapshot(
    new_database: Callable[[], Awaitable[str]],
    edge: ServedEdge,
    backends: SagaClients,
    account: str,
    nats_url: str,
    bus_prefix: str,
    jetstream: JetStreamContext,
    bus_names: BusNames,
) -> None:
    g = await backends.submit(account)
    before = await stream(edge, account, g.id, until="*")
    stream_name = bus_names.stream("generation")

    async def moved_on() -> bool:
        return (await jetstream.stream_info(stream_name)).state.last_seq > before[0].seq

    # Started once the stream moved past the first id, so that id is older than it knows.
    await eventually(moved_on, what="a generation event after the first id")
    settings = edge_settings(await new_database(), nats_url, bus_prefix, backends.address)

    async with serving_edge(settings) as later:
        after = await stream(later, account, g.id, **{"Last-Event-ID": before[0].id})

    truth = await events_on_the_bus(jetstream, bus_names, g.id)
    assert after[0].body["snapshot"] is True
    shown = set(reflected(before[0], truth))
    resumed = set(reflected(after[0], truth)) | {e.seq for e in after[1:]}
    assert not shown & {e.seq for e in after[1:]}, "an event came twice"
    assert shown | resumed == {e.seq for e in truth}
    assert after[-1].kind == "succeeded"


async def test_a_client_arriving_after_success_gets_the_terminal_event_at_once(
    edge: ServedEdge, backends: SagaClients, account: str
) -> None:
    g = await backends.submit(account)
    await ended(backends, account, g.id)

    got = await stream(edge, account, g.id)

    assert [e.kind for e in got] == ["succeeded"]
    assert got[0].body["status"] == "succeeded"
    assert got[0].body["outputs"]


async def test_a_resume_after_the_terminal_event_is_told_there_is_nothing_more(
    edge: ServedEdge, backends: SagaClients, account: str
) -> None:
    g = await backends.submit(account)
    got = await stream(edge, account, g.id)

    async with httpx.AsyncClient(base_url=edge.url) as client:
        again = await client.get(
            path(g.id), headers={ACCOUNT_HEADER: account, "Last-Event-ID": got[-1].id}
        )

    assert again.status_code == 204  # EventSource stops reconnecting on 204


async def test_closing_the_stream_does_not_cancel_the_generation(
    edge: ServedEdge, backends: SagaClients, account: str
) -> None:
    g = await backends.submit(account)
    await stream(edge, account, g.id, until="*")
    hub = edge.app.state.live_progress.hub

    async def let_go() -> bool:
        return bool(hub.streams == 0)

    await eventually(let_go, what="the closed stream detached from the hub")
    finished = await ended(backends, account, g.id)

    assert finished.status == pb.GENERATION_STATUS_SUCCEEDED


async def test_clients_of_one_edge_share_its_one_subscription(
    edge: ServedEdge, backends: SagaClients, account: str
) -> None:
    first, second = await backends.submit(account), await backends.submit(account)
    live = edge.app.state.live_progress

    results = await asyncio.gather(*(stream(edge, account, g.id) for g in (first, second, first)))

    assert [r[-1].kind for r in results] == ["succeeded"] * 3
    assert live.feed.subscriptions_opened == 1
    assert live.hub.streams == 0  # every stream let go when it ended


async def test_another_accounts_generation_is_not_found(
    edge: ServedEdge, backends: SagaClients, account: str
) -> None:
    g = await backends.submit(account)
    stranger = await backends.funded_account()

    async with httpx.AsyncClient(base_url=edge.url) as client:
        response = await client.get(path(g.id), headers={ACCOUNT_HEADER: stranger})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/not-found")
    assert edge.app.state.live_progress.hub.streams == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [("Last-Event-ID", "not-an-id"), ("Last-Event-ID", "7" * 100), ("Last-Event-ID", "1-x")],
)
async def test_a_foreign_last_event_id_is_refused_naming_it(
    edge: ServedEdge, backends: SagaClients, account: str, name: str, value: str
) -> None:
    g = await backends.submit(account)

    async with httpx.AsyncClient(base_url=edge.url) as client:
        response = await client.get(path(g.id), headers={ACCOUNT_HEADER: account, name: value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == name


@pytest.mark.parametrize("generation_id", ["x" * 201, "a b", "caf\u00e9"])
async def test_a_malformed_generation_id_is_refused(
    edge: ServedEdge, account: str, generation_id: str
) -> None:
    async with httpx.AsyncClient(base_url=edge.url) as client:
        response = await client.get(path(generation_id), headers={ACCOUNT_HEADER: account})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid-request")


@pytest.mark.parametrize("edge_heartbeat_s", [0.05])
async def test_an_idle_stream_gets_heartbeat_comments(
    edge: ServedEdge, backends: SagaClients, account: str
) -> None:
    g = await backends.submit(account)
    comments: list[Any] = []
    headers = {ACCOUNT_HEADER: account}
    async with (
        httpx.AsyncClient(base_url=edge.url, timeout=30) as client,
        client.stream("GET", path(g.id), headers=headers) as response,
    ):
        async for item in received(response):
            if item.comment:
                comments.append(item.comment)
                break

    assert comments == ["keep-alive"]
