"""The server transfer of media the browser did not upload: streamed, once, never overwriting."""

from __future__ import annotations

import asyncio
import os
import threading

import httpx
from services.media.tests.integration.conftest import MediaPlatform
from services.media.tests.media_service import (
    PNG,
    fast_settings,
    media_events,
    output,
    publish_succeeded,
    serving_media,
)

from atelier.media.v1 import media_pb2
from atelier_testing.ids import random_name
from atelier_testing.polling import eventually

MIB = 1024 * 1024


async def status_of(p: MediaPlatform, account: str, media_id: str) -> media_pb2.Media:
    reply = await p.media.GetMedia(media_pb2.GetMediaRequest(account_id=account, media_id=media_id))
    return reply.media


async def settled(
    p: MediaPlatform, account: str, media_id: str, within_s: float = 30
) -> media_pb2.Media:
    async def done() -> bool:
        try:
            media = await status_of(p, account, media_id)
        except Exception:
            return False
        return media.status != media_pb2.MEDIA_STATUS_EXTERNAL

    await eventually(done, within_s, what=f"{media_id} settled")
    return await status_of(p, account, media_id)


async def produce(
    p: MediaPlatform, path: str, body: bytes, content_type: str = "image/png"
) -> tuple[str, str]:
    account, generation = random_name("acct-"), random_name("gen-")
    url = p.source.add(path, body, content_type)
    await publish_succeeded(p.js, p.names, generation, account, [output(url, 0, content_type)])
    return account, f"{generation}-0"


def stored_object(p: MediaPlatform, key_suffix: str) -> bytes:
    listing = p.s3().list_objects_v2(Bucket=p.bucket.name)
    keys = [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(key_suffix)]
    assert len(keys) == 1, keys
    return bytes(p.s3().get_object(Bucket=p.bucket.name, Key=keys[0])["Body"].read())


async def test_media_left_external_is_transferred_by_the_server(platform: MediaPlatform) -> None:
    account, media_id = await produce(platform, "/small.png", PNG)
    media = await settled(platform, account, media_id)

    assert media.status == media_pb2.MEDIA_STATUS_STORED
    assert media.stored_by == media_pb2.STORED_BY_SERVER
    assert stored_object(platform, f"{media_id}.png") == PNG
    assert platform.source.gets["/small.png"] == 1


async def test_a_large_file_is_streamed_in_parts(platform: MediaPlatform) -> None:
    body = b"\0\0\0\x18ftypisom" + os.urandom(11 * MIB)
    account, media_id = await produce(platform, "/big.mp4", body, "video/mp4")
    media = await settled(platform, account, media_id)

    assert media.status == media_pb2.MEDIA_STATUS_STORED
    assert media.bytes == len(body)
    assert stored_object(platform, f"{media_id}.mp4") == body


async def test_a_refused_source_ends_in_transfer_failed_with_its_reason(
    platform: MediaPlatform,
) -> None:
    platform.source.redirects["/moved.png"] = "http://127.0.0.1:1/secret"
    account, generation = random_name("acct-"), random_name("gen-")
    outputs = [
        output(platform.source.url("/moved.png"), 0),
        output(platform.source.add("/page.png", b"<html>hello</html>", "image/png"), 1),
        output("http://169.254.169.254/latest/meta-data", 2),
    ]
    await publish_succeeded(platform.js, platform.names, generation, account, outputs)
    reasons = [
        (await settled(platform, account, f"{generation}-{n}")).failure_reason for n in range(3)
    ]

    assert reasons[0].startswith("REDIRECT_REFUSED")
    assert reasons[1].startswith("WRONG_CONTENT")
    assert reasons[2].startswith("IP_LITERAL_REFUSED")

    async def three_failures() -> bool:
        return len(await media_events(platform.js, platform.names, "transfer_failed")) == 3

    await eventually(three_failures, 10, what="three transfer_failed events")


async def test_a_browser_upload_landing_during_the_transfer_is_kept(
    platform: MediaPlatform,
) -> None:
    browser_png = PNG + b"from-the-browser"
    platform.source.hold["/slow.png"] = threading.Event()
    account, media_id = await produce(platform, "/slow.png", PNG)

    async def transfer_started() -> bool:
        event = platform.source.started.get("/slow.png")
        return event is not None and event.is_set()

    await eventually(transfer_started, 20, what="the transfer started")
    target = await platform.media.CreateUpload(
        media_pb2.CreateUploadRequest(account_id=account, media_id=media_id)
    )
    async with httpx.AsyncClient() as http:
        await http.put(target.url, content=browser_png, headers=dict(target.headers))
    platform.source.hold["/slow.png"].set()
    await platform.media.CompleteUpload(
        media_pb2.CompleteUploadRequest(account_id=account, media_id=media_id)
    )
    media = await settled(platform, account, media_id)
    await asyncio.sleep(0.5)  # the transfer finishes after the completion: give it the time

    assert media.stored_by == media_pb2.STORED_BY_CLIENT
    assert stored_object(platform, f"{media_id}.png") == browser_png
    assert await media_events(platform.js, platform.names, "stored") == [f"media:stored:{media_id}"]


async def test_two_replicas_transfer_each_file_once(
    platform: MediaPlatform, database_url: str, nats_url: str
) -> None:
    settings = fast_settings(
        database_url, nats_url, platform.names.prefix, platform.bucket, platform.source.port
    )
    account, generation = random_name("acct-"), random_name("gen-")
    outputs = [output(platform.source.add(f"/r{n}.png", PNG), n) for n in range(8)]
    async with serving_media(settings):
        await publish_succeeded(platform.js, platform.names, generation, account, outputs)
        for n in range(8):
            await settled(platform, account, f"{generation}-{n}")

    assert all(platform.source.gets[f"/r{n}.png"] == 1 for n in range(8))

    async def eight_stored() -> bool:
        return len(await media_events(platform.js, platform.names, "stored")) == 8

    await eventually(eight_stored, 10, what="eight stored events")
