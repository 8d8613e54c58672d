"""The fallback timer is durable: a restart of the media service, or of NATS, between scheduling
and due time loses nothing and does nothing twice."""

from __future__ import annotations

from pathlib import Path

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
from atelier_localinfra import LocalNats, free_port
from atelier_runtime.bus import connect
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


async def test_a_transfer_due_while_nats_is_down_happens_once_and_is_announced_after(
    database_url: str,
    bus_names: BusNames,
    s3_bucket: S3Bucket,
    source: FileSource,
    db_pool: DbPool,
    tmp_path: Path,
) -> None:
    # A NATS of this test's own, so stopping it touches no other test.
    nats = LocalNats(tmp_path / "nats", port=free_port()).start()
    client = await connect(nats.url, "test-media-nats-restart")
    settings = fast_settings(
        database_url, nats.url, bus_names.prefix, s3_bucket, source.port, media_fallback_delay_s=2.0
    )
    account, generation = random_name("acct-"), random_name("gen-")
    media_id = f"{generation}-0"
    url = source.add("/nats-down.png", PNG)
    try:
        async with serving_media(settings):
            await publish_succeeded(
                client.jetstream(), bus_names, generation, account, [output(url, 0)]
            )

            async def recorded() -> bool:
                count = await db_pool.fetchval(
                    "SELECT count(*) FROM media WHERE media_id = $1", media_id
                )
                return bool(count)

            await eventually(recorded, 20, what="recorded")
            nats.stop()

            async def stored_meanwhile() -> bool:
                status = await db_pool.fetchval(
                    "SELECT status FROM media WHERE media_id = $1", media_id
                )
                return bool(status == "stored")

            # The timer lives in PostgreSQL: the copy does not wait for NATS.
            await eventually(stored_meanwhile, 30, what="stored while NATS is down")
            nats = LocalNats(tmp_path / "nats", port=nats.port).start()

            async def announced_once() -> bool:
                return await media_events(client.jetstream(), bus_names, "stored") == [
                    f"media:stored:{media_id}"
                ]

            await eventually(announced_once, 30, what="one stored event once NATS is back")
    finally:
        await client.close()
        nats.stop()
    assert source.gets["/nats-down.png"] == 1
