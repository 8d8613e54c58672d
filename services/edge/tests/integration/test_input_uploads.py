"""POST /v1/uploads: an input file goes to the presigned PUT and is read back by the returned
URL; a type or size outside the allowlist is a 422 naming the field; no caller is a 401."""

from __future__ import annotations

import httpx
import pytest
from services.edge.tests.edge_platform import Platform

pytestmark = pytest.mark.asyncio(loop_scope="session")

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


async def test_an_input_is_put_and_read_back_by_its_url(platform: Platform, account: str) -> None:
    async with platform.client(account) as edge:
        created = await edge.post(
            "/v1/uploads", json={"content_type": "image/png", "bytes": len(PNG)}
        )
    body = created.json()
    async with httpx.AsyncClient(trust_env=False, timeout=30) as browser:
        put = await browser.put(
            body["upload"]["url"], content=PNG, headers=body["upload"]["headers"]
        )
        read = await browser.get(body["url"])

    assert created.status_code == 201, created.text
    assert body["id"].startswith("in-")
    assert body["upload"]["method"] == "PUT"
    assert body["upload"]["headers"] == {"Content-Type": "image/png"}
    assert body["upload"]["expires_at"] is not None
    assert put.status_code == 200
    assert read.status_code == 200
    assert read.content == PNG


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"content_type": "text/html", "bytes": 10}, "content_type"),
        ({"content_type": "video/mp4", "bytes": 10}, "content_type"),
        ({"content_type": "image/png\u0000", "bytes": 10}, "content_type"),
        ({"content_type": "image/png", "bytes": 20 * 1024 * 1024 + 1}, "bytes"),
        ({"content_type": "image/png", "bytes": 0}, "bytes"),
    ],
)
async def test_a_refused_input_names_the_field(
    platform: Platform, account: str, request_body: dict[str, object], field: str
) -> None:
    async with platform.client(account) as edge:
        refused = await edge.post("/v1/uploads", json=request_body)

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert field in refused.text


async def test_an_unauthenticated_upload_is_refused(platform: Platform) -> None:
    async with platform.client() as anonymous:
        refused = await anonymous.post(
            "/v1/uploads", json={"content_type": "image/png", "bytes": 1}
        )

    assert refused.status_code == 401
