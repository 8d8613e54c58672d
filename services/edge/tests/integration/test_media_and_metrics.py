"""A generation's output as media: read it, upload it from the browser, complete it; another
account's media is 404. And /metrics counts requests by route template."""

from __future__ import annotations

import uuid

import httpx
import pytest
from services.edge.tests.edge_platform import Platform

from atelier_testing.polling import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def finished_output(edge: httpx.AsyncClient) -> str:
    """Runs one image generation to success; the media id of its output."""
    await edge.get("/v1/me")
    body = {"tool": "text-to-image", "model": "local", "prompt": "a kite"}
    accepted = await edge.post(
        "/v1/generations", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    gid = accepted.json()["id"]

    async def succeeded() -> bool:
        return bool((await edge.get(f"/v1/generations/{gid}")).json()["status"] == "succeeded")

    await eventually(succeeded, 30, what="the generation succeeded")
    media_id: str = (await edge.get(f"/v1/generations/{gid}")).json()["outputs"][0]["media_id"]

    async def recorded() -> bool:
        return (await edge.get(f"/v1/media/{media_id}")).status_code == 200

    await eventually(recorded, 30, what="media recorded the output")
    return media_id


async def test_an_output_is_read_uploaded_by_the_browser_and_completed(
    platform: Platform, account: str
) -> None:
    async with platform.client(account) as edge:
        media_id = await finished_output(edge)
        media = (await edge.get(f"/v1/media/{media_id}")).json()
        upload = await edge.post(f"/v1/media/{media_id}/upload")
        async with httpx.AsyncClient(trust_env=False, timeout=30) as browser:
            source = await browser.get(media["url"])
            put = await browser.put(
                upload.json()["url"], content=source.content, headers=upload.json()["headers"]
            )
        completed = await edge.post(f"/v1/media/{media_id}/complete")

    assert media["content_type"] == "image/png"
    assert media["status"] in ("external", "stored")
    assert upload.status_code == 200
    assert upload.json()["method"] == "PUT"
    assert put.status_code == 200
    assert completed.status_code == 200
    assert completed.json()["status"] == "stored"


async def test_another_accounts_media_is_not_found(platform: Platform, account: str) -> None:
    async with platform.client(account) as owner:
        media_id = await finished_output(owner)
    async with platform.client(account + "-other") as stranger:
        answers = [
            await stranger.get(f"/v1/media/{media_id}"),
            await stranger.post(f"/v1/media/{media_id}/upload"),
            await stranger.post(f"/v1/media/{media_id}/complete"),
        ]

    assert [a.status_code for a in answers] == [404, 404, 404]


async def test_metrics_count_requests_by_route_template_and_status(
    platform: Platform, account: str
) -> None:
    async with platform.client(account) as edge:
        await edge.get("/v1/generations/does-not-exist")
        text = (await edge.get("/metrics")).text

    assert 'route="/v1/generations/{generation_id}",status="404"' in text
    assert "does-not-exist" not in text
    assert "atelier_edge_request_duration_seconds_bucket" in text
