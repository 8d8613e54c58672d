"""Media integration fixtures: a provider file host on loopback, the service, and its stub."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from nats.js import JetStreamContext
from services.media.tests.media_service import FileSource, fast_settings, serving_media

from atelier.media.v1 import media_pb2_grpc
from atelier_media.settings import MediaSettings
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool
from atelier_runtime.grpc_client import channel
from atelier_testing.plugin import S3Bucket

if TYPE_CHECKING:
    MediaStub = media_pb2_grpc.MediaServiceAsyncStub


@pytest.fixture
def source() -> Iterator[FileSource]:
    with FileSource().running() as running:
        yield running


@dataclass
class MediaPlatform:
    media: MediaStub
    pool: DbPool
    js: JetStreamContext
    names: BusNames
    bucket: S3Bucket
    source: FileSource
    settings: MediaSettings

    def s3(self) -> Any:
        return self.bucket.client()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def platform(
    database_url: str,
    nats_url: str,
    bus_names: BusNames,
    jetstream: JetStreamContext,
    s3_bucket: S3Bucket,
    source: FileSource,
    db_pool: DbPool,
    settings_overrides: dict[str, Any],
) -> AsyncIterator[MediaPlatform]:
    settings = fast_settings(
        database_url, nats_url, bus_names.prefix, s3_bucket, source.port, **settings_overrides
    )
    async with serving_media(settings) as address, channel(address) as chan:
        yield MediaPlatform(
            media_pb2_grpc.MediaServiceStub(chan),  # type: ignore[arg-type]
            db_pool, jetstream, bus_names, s3_bucket, source, settings,
        )  # fmt: skip
