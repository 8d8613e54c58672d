"""A transfer that cannot finish in time, or whose provider URL has expired, ends transfer_failed."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import grpc
import pytest
from services.media.tests.integration.conftest import MediaPlatform
from services.media.tests.media_service import PNG, media_events, output, publish_succeeded

from atelier.media.v1 import media_pb2
from atelier_testing.ids import random_name
from atelier_testing.polling import eventually


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"media_transfer_deadline_s": 1.0, "media_max_attempts": 2}


async def failure_of(p: MediaPlatform, account: str, media_id: str) -> str:
    async def failed() -> bool:
        try:
            got = await p.media.GetMedia(
                media_pb2.GetMediaRequest(account_id=account, media_id=media_id)
            )
        except grpc.aio.AioRpcError:
            return False  # not recorded yet
        return bool(got.media.status == media_pb2.MEDIA_STATUS_TRANSFER_FAILED)

    await eventually(failed, 30, what=f"{media_id} transfer_failed")
    got = await p.media.GetMedia(media_pb2.GetMediaRequest(account_id=account, media_id=media_id))
    return got.media.failure_reason


async def test_a_source_that_drips_is_stopped_by_the_total_deadline(
    platform: MediaPlatform,
) -> None:
    platform.source.hold["/drip.png"] = threading.Event()  # sends 64 bytes, then nothing
    account, generation = random_name("acct-"), random_name("gen-")
    url = platform.source.add("/drip.png", PNG)
    await publish_succeeded(platform.js, platform.names, generation, account, [output(url, 0)])

    reason = await failure_of(platform, account, f"{generation}-0")

    assert reason.startswith("GAVE_UP: after 2 attempts")
    assert platform.source.gets["/drip.png"] == 2


async def test_an_expired_provider_url_is_not_fetched(platform: MediaPlatform) -> None:
    account, generation = random_name("acct-"), random_name("gen-")
    url = platform.source.add("/old.png", PNG)
    expired = output(url, 0, valid_for=timedelta(seconds=-1))
    await publish_succeeded(platform.js, platform.names, generation, account, [expired])

    reason = await failure_of(platform, account, f"{generation}-0")

    assert reason.startswith("SOURCE_EXPIRED")
    assert platform.source.gets.get("/old.png", 0) == 0

    async def announced() -> bool:
        events = await media_events(platform.js, platform.names, "transfer_failed")
        return events == [f"media:transfer_failed:{generation}-0"]

    await eventually(announced, 10, what="a transfer_failed event")
