"""Hostile input through HTTP gets a typed 4xx problem, never a 500."""

from __future__ import annotations

import uuid

import pytest
from services.edge.tests.edge_platform import Platform

pytestmark = pytest.mark.asyncio(loop_scope="session")

DEEP = b"[" * 10_000 + b"]" * 10_000
HOSTILE_BODIES: dict[str, bytes | str] = {
    "bad json": b'{"tool": ',
    "not an object": b"[1, 2, 3]",
    "wrong types": b'{"tool": 5, "model": [], "prompt": {"a": 1}}',
    "deep nesting": DEEP,
    "deep params": b'{"tool": "t", "model": "m", "params": {"p": ' + DEEP + b"}}",
    "nul in prompt": '{"tool": "text-to-image", "model": "local", "prompt": "a\\u0000b"}',
    "nul in params": '{"tool": "text-to-image", "model": "local", "params": {"seed\\u0000": 1}}',
    "100 KB prompt": '{"tool": "text-to-image", "model": "local", "prompt": "'
    + "x" * 100_000
    + '"}',
    "100 KB tool": '{"tool": "' + "x" * 100_000 + '", "model": "local"}',
    "unknown field": '{"tool": "text-to-image", "model": "local", "colour": "red"}',
    "huge number": '{"tool": "text-to-image", "model": "local", "params": {"num_outputs": 1e400}}',
    "not utf-8": b'{"tool": "\xff\xfe"}',
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
async def test_a_hostile_generation_body_is_a_typed_4xx(
    platform: Platform, account: str, name: str
) -> None:
    async with platform.client(account) as edge:
        answer = await edge.post(
            "/v1/generations",
            content=HOSTILE_BODIES[name],
            headers={"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"},
        )

    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].startswith("https://atelier.dev/problems/")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/generations/" + "x" * 10_000,
        "/v1/generations/a%00b",
        "/v1/media/%00",
        "/v1/generations?limit=0",
        "/v1/generations?limit=abc",
        "/v1/credits/ledger?cursor=%00",
        "/v1/credits/ledger?cursor=99999999999999999999999",
    ],
)
async def test_hostile_paths_and_queries_are_typed_4xx(
    platform: Platform, account: str, path: str
) -> None:
    async with platform.client(account) as edge:
        answer = await edge.get(path)

    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
