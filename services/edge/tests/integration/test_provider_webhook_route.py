"""POST /v1/webhooks/providers/{provider}: the callback reaches generation byte for byte, whose
adapter verifies it; whatever is not genuine or not ours is a problem naming why, never a 500."""

from __future__ import annotations

import httpx
import pytest
from services.edge.tests.edge_platform import Platform

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def post(platform: Platform, provider: str, body: bytes, **headers: str) -> httpx.Response:
    async with platform.client() as edge:
        return await edge.post(f"/v1/webhooks/providers/{provider}", content=body, headers=headers)


async def test_an_unsigned_callback_is_refused_as_unauthenticated(platform: Platform) -> None:
    # The built-in provider sends no callbacks, so its adapter accepts none.
    answer = await post(platform, "local", b'{"id": "job-1", "status": "succeeded"}')

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


async def test_an_unknown_provider_is_not_found_and_an_unconfigured_one_is_named(
    platform: Platform,
) -> None:
    unknown = await post(platform, "no-such-provider", b"{}")
    unconfigured = await post(platform, "replicate", b"{}")  # a known adapter without its key

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert 400 <= unconfigured.status_code < 500
    assert "replicate" in unconfigured.text


async def test_hostile_callbacks_are_typed_refusals(platform: Platform) -> None:
    oversized = await post(platform, "local", b"x" * (1024 * 1024 + 1))
    nul_in_name = await post(platform, "lo%00cal", b"{}")  # decoded to a NUL by the router
    huge_name = await post(platform, "p" * 10_000, b"{}")

    assert oversized.status_code == 400
    assert oversized.json()["errors"][0]["field"] == "body"
    for answer in (nul_in_name, huge_name):
        assert 400 <= answer.status_code < 500, answer.text
