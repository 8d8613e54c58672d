"""The fallback timer is durable: a restart between scheduling and due time loses nothing."""

from __future__ import annotations

from nats.js import JetStreamContext
from services.media.tests.media_service import (
    PNG,
    FileSource,
    fast_settings,
    media_events,
    output,
    publish_succeeded,
    serving_media,
)

from atelier.media.v1 import media_pb2, media_pb2_grpc
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool
from atelier_runtime.grpc_client import channel
from atelier_testing.ids import random_name
from atelier_testing.plugin import S3Bucket
from atelier_testing.polling import eventually


async def test_a_transfer_scheduled_before_a_restart_still_happens_once(
    database_url: str,
    nats_url: str,
    bus_names: BusNames,
    jetstream: JetStreamContext,
    s3_bucket: S3Bucket,
    source: FileSource,
    db_pool: DbPool,
) -> None:
    settings = fast_settings(
        database_url, nats_url, bus_names.prefix, s3_bucket, source.port, media_fallback_delay_s=3.0
    )
    account, generation = random_name("acct-"), random_name("gen-")
    media_id = f"{generation}-0"
    url = source.add("/restart.png", PNG)

    async def recorded() -> bool:
        return bool(
            await db_pool.fetchval("SELECT count(*) FROM media WHERE media_id = $1", media_id)
        )

    async with serving_media(settings):
        await publish_succeeded(jetstream, bus_names, generation, account, [output(url, 0)])
        await eventually(recorded, 20, what="recorded")
    assert source.gets.get("/restart.png", 0) == 0  # stopped before the timer was due

    async with serving_media(settings) as address, channel(address) as chan:
        media = media_pb2_grpc.MediaServiceStub(chan)

        async def stored() -> bool:
            reply = await media.GetMedia(
                media_pb2.GetMediaRequest(account_id=account, media_id=media_id)
            )
            return bool(reply.media.status == media_pb2.MEDIA_STATUS_STORED)

        await eventually(stored, 30, what="stored after the restart")

        async def one_event() -> bool:
            return await media_events(jetstream, bus_names, "stored") == [
                f"media:stored:{media_id}"
            ]

        await eventually(one_event, 10, what="one stored event")
    assert source.gets["/restart.png"] == 1
