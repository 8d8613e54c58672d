"""Stored media past its plan's retention is deleted from the bucket and marked expired."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from services.media.tests.integration.conftest import MediaPlatform
from services.media.tests.media_service import PNG, media_events, output, publish_succeeded

from atelier.media.v1 import media_pb2
from atelier_testing.ids import random_name
from atelier_testing.polling import eventually


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"media_sweep_interval_s": 0.1, "media_paid_retention_days": 365}


async def test_expired_media_is_deleted_and_announced(platform: MediaPlatform) -> None:
    account, generation = random_name("acct-"), random_name("gen-")
    url = platform.source.add("/kept.png", PNG)
    await publish_succeeded(platform.js, platform.names, generation, account, [output(url, 0)])
    media_id = f"{generation}-0"

    async def status() -> int:
        row = await platform.pool.fetchrow(
            "SELECT status, retain_until FROM media WHERE media_id = $1", media_id
        )
        return {"stored": 1, "expired": 2}.get(row["status"], 0) if row else 0

    async def is_stored() -> bool:
        return await status() == 1

    await eventually(is_stored, 20, what="stored")
    retained_days = await platform.pool.fetchval(
        "SELECT extract(day FROM retain_until - stored_at) FROM media WHERE media_id = $1", media_id
    )
    assert retained_days == 30  # the free plan's retention

    await platform.pool.execute(
        "UPDATE media SET retain_until = now() - interval '1 second' WHERE media_id = $1", media_id
    )

    async def is_expired() -> bool:
        return await status() == 2

    await eventually(is_expired, 20, what="expired")
    assert platform.s3().list_objects_v2(Bucket=platform.bucket.name).get("KeyCount", 0) == 0
    got = await platform.media.GetMedia(
        media_pb2.GetMediaRequest(account_id=account, media_id=media_id)
    )
    assert got.media.status == media_pb2.MEDIA_STATUS_EXPIRED
    assert got.media.url == ""

    async def announced() -> bool:
        return await media_events(platform.js, platform.names, "expired") == [
            f"media:expired:{media_id}"
        ]

    await eventually(announced, 10, what="an expired event")


async def test_the_bucket_gets_cors_for_the_web_app_and_a_free_prefix_lifecycle(
    platform: MediaPlatform,
) -> None:
    cors = platform.s3().get_bucket_cors(Bucket=platform.bucket.name)["CORSRules"][0]
    assert cors["AllowedOrigins"] == platform.settings.web_origins
    assert "http://127.0.0.1:8080" in cors["AllowedOrigins"]
    assert set(cors["AllowedMethods"]) == {"PUT", "GET"}
    assert cors["ExposeHeaders"] == ["ETag"]
    rules = platform.s3().get_bucket_lifecycle_configuration(Bucket=platform.bucket.name)["Rules"]
    free = next(r for r in rules if r["ID"] == "free-retention")
    assert free["Filter"]["Prefix"] == "free/"
    assert free["Expiration"]["Days"] == 30
    paid = next(r for r in rules if r["ID"] == "paid-retention")
    assert paid["Filter"]["Prefix"] == "paid/"
    assert paid["Expiration"]["Days"] == 365


async def test_the_web_app_may_upload_from_its_origin(platform: MediaPlatform) -> None:
    url = f"{platform.bucket.endpoint}/{platform.bucket.name}/free/a/b.png"
    headers = {
        "Origin": "http://127.0.0.1:8080",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type",
    }
    async with httpx.AsyncClient() as http:
        allowed = await http.options(url, headers=headers)
        other = await http.options(url, headers={**headers, "Origin": "https://evil.example"})
    assert allowed.headers.get("access-control-allow-origin") == "http://127.0.0.1:8080"
    assert "PUT" in allowed.headers.get("access-control-allow-methods", "")
    # moto's server adds its own permissive headers, but refuses a preflight no rule matches.
    assert allowed.status_code == 200
    assert other.status_code == 403
