"""What protects the edge: a key still in flight, the per-account rate, the body cap, and the
cap on one account's generation requests held open at once.

A backend that never answers is a TCP listener that accepts and stays silent: a gRPC call to it
waits until its deadline, so the first request is reliably still in flight."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from services.edge.tests.edge_platform import Platform, serving_edge

from atelier_testing.polling import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

IMAGE = {"tool": "text-to-image", "model": "local", "prompt": "a lighthouse"}


@contextlib.asynccontextmanager
async def silent_backend() -> AsyncIterator[str]:
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_a_repeat_while_the_first_is_in_flight_is_a_409(
    platform: Platform, account: str
) -> None:
    async with silent_backend() as silent:
        settings = platform.edge_settings(generation_addr=silent, edge_submit_timeout_s=3.0)
        async with serving_edge(settings) as url:
            headers = {
                "Authorization": f"Bearer {platform.token(account)}",
                "Idempotency-Key": f"k-{uuid.uuid4().hex}",
            }
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as edge:
                first = asyncio.create_task(edge.post("/v1/generations", json=IMAGE))
                await eventually(lambda: _in_flight(platform, account), what="a claim in flight")
                repeat = await edge.post("/v1/generations", json=IMAGE)
                unreachable = await first
                retry = await edge.post("/v1/generations", json=IMAGE)

    assert repeat.status_code == 409
    assert repeat.json()["type"].endswith("/idempotency-key-in-flight")
    # The first never got an answer: its record is dropped so that a retry is tried anew.
    assert unreachable.status_code == 503
    assert unreachable.headers["retry-after"]
    assert retry.status_code == 503


async def _in_flight(platform: Platform, account: str) -> bool:
    conn = await asyncpg.connect(platform.edge_database_url)
    try:
        return bool(
            await conn.fetchval(
                "SELECT count(*) FROM idempotency_records WHERE account_id = $1 AND state = 'in_flight'",
                account,
            )
        )
    finally:
        await conn.close()


async def test_an_account_past_its_rate_gets_429_with_retry_after(
    platform: Platform, account: str
) -> None:
    settings = platform.edge_settings(edge_rate_per_s=0.5, edge_rate_burst=3)
    async with serving_edge(settings) as url:
        headers = {"Authorization": f"Bearer {platform.token(account)}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as edge:
            answers = [await edge.get("/v1/keys") for _ in range(4)]
            other = await edge.get(
                "/v1/keys", headers={"Authorization": f"Bearer {platform.token(account + 'b')}"}
            )

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["type"].endswith("/rate-limited")
    assert int(answers[3].headers["retry-after"]) >= 1
    assert other.status_code == 200


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_the_cap_is_a_413(
    platform: Platform, account: str, chunked: bool
) -> None:
    body = b'{"tool": "' + b"x" * (1024 * 1024 + 10) + b'"}'

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    async with platform.client(account) as edge:
        answer = await edge.post(
            "/v1/generations",
            content=pieces() if chunked else body,
            headers={"Idempotency-Key": "k-413", "Content-Type": "application/json"},
        )

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/body-too-large")


async def test_generation_requests_held_open_past_the_cap_get_429(
    platform: Platform, account: str
) -> None:
    async with silent_backend() as silent:
        settings = platform.edge_settings(
            generation_addr=silent, edge_submit_timeout_s=3.0, edge_max_inflight_generations=1
        )
        async with serving_edge(settings) as url:
            headers = {"Authorization": f"Bearer {platform.token(account)}"}
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as edge:
                first = asyncio.create_task(
                    edge.post("/v1/generations", json=IMAGE, headers={"Idempotency-Key": "a"})
                )
                await eventually(lambda: _in_flight(platform, account), what="a claim in flight")
                second = await edge.post(
                    "/v1/generations", json=IMAGE, headers={"Idempotency-Key": "b"}
                )
                await first

    assert second.status_code == 429
    assert second.json()["type"].endswith("/too-many-in-flight")
