"""GenerationSucceeded becomes one record per output, once; the browser path stores it."""

from __future__ import annotations

from typing import Any

import grpc
import httpx
import pytest
from services.media.tests.integration.conftest import MediaPlatform
from services.media.tests.media_service import PNG, media_events, output, publish_succeeded

from atelier.media.v1 import media_pb2
from atelier_testing.ids import random_name
from atelier_testing.polling import eventually


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The fallback stays out of the way of the browser path here.
    return {"media_fallback_delay_s": 3600, "media_max_bytes": 4096}


async def listed(p: MediaPlatform, account: str, generation: str = "") -> list[media_pb2.Media]:
    reply = await p.media.ListMedia(
        media_pb2.ListMediaRequest(account_id=account, generation_id=generation, page_size=100)
    )
    return list(reply.media)


async def recorded(p: MediaPlatform, account: str, count: int) -> list[media_pb2.Media]:
    async def arrived() -> bool:
        return len(await listed(p, account)) >= count

    await eventually(arrived, 20, what=f"{count} records")
    return await listed(p, account)


async def test_each_output_is_recorded_once_under_redelivery(platform: MediaPlatform) -> None:
    account, generation = random_name("acct-"), random_name("gen-")
    outputs = [output(platform.source.url("/a.png"), 0), output(platform.source.url("/b.png"), 1)]
    event_id = await publish_succeeded(platform.js, platform.names, generation, account, outputs)
    await publish_succeeded(  # the same event again, and again under a new id
        platform.js, platform.names, generation, account, outputs, event_id=event_id
    )
    await publish_succeeded(platform.js, platform.names, generation, account, outputs)
    media = await recorded(platform, account, 2)
    await publish_succeeded(platform.js, platform.names, generation, account, [outputs[0]])

    assert sorted(m.id for m in media) == [f"{generation}-0", f"{generation}-1"]
    first = media[-1] if media[-1].id.endswith("-0") else media[0]
    assert first.status == media_pb2.MEDIA_STATUS_EXTERNAL
    assert first.plan == "free"
    assert first.content_type == "image/png"
    assert first.url == platform.source.url("/a.png")
    assert first.generation_id == generation
    assert first.HasField("source_expires_at")
    assert len(await listed(platform, account, generation)) == 2
    count = await platform.pool.fetchval(
        "SELECT count(*) FROM media WHERE account_id = $1", account
    )
    assert count == 2


async def upload(
    p: MediaPlatform, account: str, media_id: str, body: bytes, content_type: str = ""
) -> None:
    target = await p.media.CreateUpload(
        media_pb2.CreateUploadRequest(account_id=account, media_id=media_id)
    )
    headers = dict(target.headers)
    if content_type:
        headers["Content-Type"] = content_type
    async with httpx.AsyncClient() as http:
        reply = await http.put(target.url, content=body, headers=headers)
    assert reply.status_code == 200, reply.text


async def one_record(p: MediaPlatform, path: str = "/out.png") -> tuple[str, str]:
    account, generation = random_name("acct-"), random_name("gen-")
    url = p.source.add(path, PNG)
    await publish_succeeded(p.js, p.names, generation, account, [output(url, 0)])
    media = await recorded(p, account, 1)
    return account, media[0].id


async def test_a_browser_upload_through_the_presigned_url_is_verified_and_stored(
    platform: MediaPlatform,
) -> None:
    account, media_id = await one_record(platform)
    target = await platform.media.CreateUpload(
        media_pb2.CreateUploadRequest(account_id=account, media_id=media_id)
    )
    assert target.method == "PUT"
    assert target.headers["Content-Type"] == "image/png"
    assert "content-type" in target.url.lower()
    assert "/free/" in target.url

    await upload(platform, account, media_id, PNG)
    done = await platform.media.CompleteUpload(
        media_pb2.CompleteUploadRequest(account_id=account, media_id=media_id)
    )

    assert done.media.status == media_pb2.MEDIA_STATUS_STORED
    assert done.media.stored_by == media_pb2.STORED_BY_CLIENT
    assert done.media.bytes == len(PNG)
    async with httpx.AsyncClient() as http:
        assert (await http.get(done.media.url)).content == PNG

    async def one_stored_event() -> bool:
        return await media_events(platform.js, platform.names, "stored") == [
            f"media:stored:{media_id}"
        ]

    await eventually(one_stored_event, 10, what="one stored event")
    again = await platform.media.CompleteUpload(
        media_pb2.CompleteUploadRequest(account_id=account, media_id=media_id)
    )
    assert again.media.status == media_pb2.MEDIA_STATUS_STORED


async def test_an_upload_under_another_content_type_never_counts_as_stored(
    platform: MediaPlatform,
) -> None:
    # S3 refuses it (the type is signed); moto accepts it, so the HEAD check must catch it.
    account, media_id = await one_record(platform)
    try:
        await upload(platform, account, media_id, PNG, content_type="text/html")
    except AssertionError:
        return
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await platform.media.CompleteUpload(
            media_pb2.CompleteUploadRequest(account_id=account, media_id=media_id)
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    got = await platform.media.GetMedia(
        media_pb2.GetMediaRequest(account_id=account, media_id=media_id)
    )
    assert got.media.failure_reason.startswith("WRONG_TYPE")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html>not a png</html>", "WRONG_CONTENT"),
        (b"", "EMPTY"),
        (PNG * 5, "TOO_LARGE"),
    ],
)
async def test_a_bad_browser_upload_is_refused_and_deleted(
    platform: MediaPlatform, body: bytes, why: str
) -> None:
    account, media_id = await one_record(platform)
    await upload(platform, account, media_id, body)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await platform.media.CompleteUpload(
            media_pb2.CompleteUploadRequest(account_id=account, media_id=media_id)
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    got = await platform.media.GetMedia(
        media_pb2.GetMediaRequest(account_id=account, media_id=media_id)
    )
    assert got.media.status == media_pb2.MEDIA_STATUS_EXTERNAL
    assert got.media.failure_reason.startswith(why)
    listing = platform.s3().list_objects_v2(Bucket=platform.bucket.name)
    assert listing.get("KeyCount", 0) == 0


async def test_another_account_cannot_see_or_upload_the_media(platform: MediaPlatform) -> None:
    _, media_id = await one_record(platform)
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await platform.media.CreateUpload(
            media_pb2.CreateUploadRequest(account_id="acct-other", media_id=media_id)
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_delete_removes_the_object_and_says_so(platform: MediaPlatform) -> None:
    account, media_id = await one_record(platform)
    await upload(platform, account, media_id, PNG)
    await platform.media.CompleteUpload(
        media_pb2.CompleteUploadRequest(account_id=account, media_id=media_id)
    )
    deleted = await platform.media.DeleteMedia(
        media_pb2.DeleteMediaRequest(account_id=account, media_id=media_id)
    )
    assert deleted.media.status == media_pb2.MEDIA_STATUS_DELETED
    assert platform.s3().list_objects_v2(Bucket=platform.bucket.name).get("KeyCount", 0) == 0

    async def deleted_event() -> bool:
        return await media_events(platform.js, platform.names, "deleted") == [
            f"media:deleted:{media_id}"
        ]

    await eventually(deleted_event, 10, what="a deleted event")


async def test_a_bad_browser_upload_is_replaced_by_the_fallback(platform: MediaPlatform) -> None:
    account, media_id = await one_record(platform, "/replaced.png")
    await upload(platform, account, media_id, b"\xff" * 100)
    with pytest.raises(grpc.aio.AioRpcError):
        await platform.media.CompleteUpload(
            media_pb2.CompleteUploadRequest(account_id=account, media_id=media_id)
        )
    # The timer was scheduled an hour out in this module; bring it due now.
    await platform.pool.execute(
        "UPDATE media SET fallback_due_at = now() WHERE media_id = $1", media_id
    )

    async def stored() -> bool:
        got = await platform.media.GetMedia(
            media_pb2.GetMediaRequest(account_id=account, media_id=media_id)
        )
        return bool(got.media.status == media_pb2.MEDIA_STATUS_STORED)

    await eventually(stored, 20, what="stored by the fallback")
    got = await platform.media.GetMedia(
        media_pb2.GetMediaRequest(account_id=account, media_id=media_id)
    )
    assert got.media.stored_by == media_pb2.STORED_BY_SERVER
    async with httpx.AsyncClient() as http:
        assert (await http.get(got.media.url)).content == PNG


async def test_a_paid_output_registered_directly_lives_under_the_paid_prefix(
    platform: MediaPlatform,
) -> None:
    request = media_pb2.RegisterOutputRequest(
        media_id=random_name("med-"), account_id=random_name("acct-"), generation_id="gen-paid",
        source_url=platform.source.add("/paid.png", PNG), content_type="image/png", plan="paid",
    )  # fmt: skip
    first = await platform.media.RegisterOutput(request)
    again = await platform.media.RegisterOutput(request)
    assert first.media.plan == "paid"
    assert again.media.created_at == first.media.created_at
    target = await platform.media.CreateUpload(
        media_pb2.CreateUploadRequest(account_id=request.account_id, media_id=request.media_id)
    )
    assert "/paid/" in target.url


async def test_an_accounts_media_is_listed_in_pages(platform: MediaPlatform) -> None:
    account, generation = random_name("acct-"), random_name("gen-")
    outputs = [output(platform.source.url(f"/p{n}.png"), n) for n in range(5)]
    await publish_succeeded(platform.js, platform.names, generation, account, outputs)
    await recorded(platform, account, 5)

    seen: list[str] = []
    token = ""
    while True:
        page = await platform.media.ListMedia(
            media_pb2.ListMediaRequest(account_id=account, page_size=2, page_token=token)
        )
        seen += [m.id for m in page.media]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(f"{generation}-{n}" for n in range(5))
    assert len(seen) == 5
