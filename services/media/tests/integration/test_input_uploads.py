"""An account's input file: recorded, PUT by its signed URL, read back by the returned URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
import httpx
import pytest
from services.media.tests.integration.conftest import MediaPlatform
from services.media.tests.media_service import PNG

from atelier.media.v1 import media_pb2
from atelier_testing.ids import random_name


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"media_input_max_bytes": 4096}


async def create(p: MediaPlatform, account: str, content_type: str, size: int) -> Any:
    return await p.media.CreateInputUpload(
        media_pb2.CreateInputUploadRequest(
            account_id=account, content_type=content_type, bytes=size
        )
    )


async def test_an_input_is_put_and_read_back(platform: MediaPlatform) -> None:
    account = random_name("acct-")
    reply = await create(platform, account, "image/png", len(PNG))
    assert reply.upload.method == "PUT"
    assert dict(reply.upload.headers) == {"Content-Type": "image/png"}
    async with httpx.AsyncClient() as http:
        put = await http.put(reply.upload.url, content=PNG, headers=dict(reply.upload.headers))
        assert put.status_code == 200, put.text
        read = await http.get(reply.read_url)
    assert read.status_code == 200
    assert read.content == PNG
    row = await platform.pool.fetchrow(
        "SELECT account_id, content_type, size FROM input_media WHERE media_id = $1",
        reply.media_id,
    )
    assert row is not None
    assert tuple(row) == (account, "image/png", len(PNG))


async def test_the_put_signs_the_declared_type_and_size(platform: MediaPlatform) -> None:
    # S3 then refuses a PUT of another type or length (moto does not check, so the test reads
    # what was signed).
    reply = await create(platform, random_name("acct-"), "audio/x-wav", 100)
    query = parse_qs(urlsplit(reply.upload.url).query)
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]
    assert urlsplit(reply.upload.url).path.endswith(".wav")
    assert dict(reply.upload.headers) == {"Content-Type": "audio/x-wav"}


@pytest.mark.parametrize(
    ("content_type", "size", "field"),
    [
        ("text/html", 10, "content_type"),
        ("image/png\x00", 10, "content_type"),
        ("video/mp4", 10, "content_type"),
        ("image/png", 0, "bytes"),
        ("image/png", -1, "bytes"),
        ("audio/mpeg", 4097, "bytes"),
    ],
)
async def test_refusals_name_the_field(
    platform: MediaPlatform, content_type: str, size: int, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await create(platform, random_name("acct-"), content_type, size)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (refused.value.details() or "")
