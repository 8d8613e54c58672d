"""Hostile input against every media method: nothing crashes, hangs or echoes, every refusal
names its field, and the media service still records and stores an output afterwards."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from nats.js import JetStreamContext
from services.media.tests.media_service import (
    PNG,
    FileSource,
    fast_settings,
    serving_media,
)

from atelier.media.v1 import media_pb2, media_pb2_grpc
from atelier_runtime.bus_names import BusNames
from atelier_runtime.grpc_client import channel
from atelier_runtime.proto_time import to_timestamp
from atelier_runtime.service_auth import bearer_metadata, sign_service_token
from atelier_testing.grpc_fuzzer import Case, Trait, assert_no_findings, fuzz_service
from atelier_testing.plugin import S3Bucket
from atelier_testing.polling import eventually

SERVICE = media_pb2.DESCRIPTOR.services_by_name["MediaService"].full_name
ACCOUNT = "acct-fuzz"
JWT = secrets.token_hex(32)
_ALWAYS_REFUSED = {Trait.NUL, Trait.LONG}


def outside_the_documented_bounds(case: Case) -> bool:
    return case.trait in _ALWAYS_REFUSED and case.field.endswith("_id")


@pytest.fixture
async def served(
    database_url: str,
    nats_url: str,
    bus_names: BusNames,
    jetstream: JetStreamContext,
    s3_bucket: S3Bucket,
    source: FileSource,
) -> AsyncIterator[str]:
    settings = fast_settings(
        database_url, nats_url, bus_names.prefix, s3_bucket, source.port, jwt_secret=JWT
    )
    async with serving_media(settings) as address:
        yield address


async def test_hostile_input_is_refused_cleanly_and_media_keeps_working(
    served: str, source: FileSource
) -> None:
    url = source.add("/fuzz.png", PNG)
    ids = itertools.count()

    def register(source_url: str = url) -> media_pb2.RegisterOutputRequest:
        return media_pb2.RegisterOutputRequest(
            media_id=f"med-fuzz-{next(ids)}",
            account_id=ACCOUNT,
            generation_id="gen-fuzz",
            source_url=source_url,
            content_type="image/png",
            source_expires_at=to_timestamp(datetime.now(UTC) + timedelta(hours=1)),
        )

    async with channel(served) as chan:
        media = media_pb2_grpc.MediaServiceStub(chan)
        # One stored record (CompleteUpload answers it as is), one whose transfer failed (the
        # browser may still upload it).
        stored = (await media.RegisterOutput(register())).media.id
        failed = (await media.RegisterOutput(register(source.url("/gone.png")))).media.id

        async def settled() -> bool:
            views = await media.ListMedia(media_pb2.ListMediaRequest(account_id=ACCOUNT))
            return all(m.status != media_pb2.MEDIA_STATUS_EXTERNAL for m in views.media)

        await eventually(settled, 30, what="both records settled")
        known = {"account_id": ACCOUNT, "media_id": stored}
        uploadable = {"account_id": ACCOUNT, "media_id": failed}

        async def deletable() -> media_pb2.DeleteMediaRequest:
            reply = await media.RegisterOutput(register())
            return media_pb2.DeleteMediaRequest(account_id=ACCOUNT, media_id=reply.media.id)

        async def still_stores_an_output() -> None:
            request = register()
            await media.RegisterOutput(request)

            async def stored() -> bool:
                got = await media.GetMedia(
                    media_pb2.GetMediaRequest(account_id=ACCOUNT, media_id=request.media_id)
                )
                return bool(got.media.status == media_pb2.MEDIA_STATUS_STORED)

            await eventually(stored, 30, what="stored after the fuzzing")

        operator = sign_service_token(JWT, role="operator", subject="fuzzer")
        report = await fuzz_service(
            served,
            baselines={
                f"{SERVICE}/RegisterOutput": register,
                f"{SERVICE}/GetMedia": media_pb2.GetMediaRequest(**known),
                f"{SERVICE}/CreateUpload": media_pb2.CreateUploadRequest(**uploadable),
                f"{SERVICE}/CompleteUpload": media_pb2.CompleteUploadRequest(**known),
                f"{SERVICE}/ListMedia": media_pb2.ListMediaRequest(
                    account_id=ACCOUNT, page_size=10
                ),
                f"{SERVICE}/DeleteMedia": deletable,
                f"{SERVICE}/CreateInputUpload": media_pb2.CreateInputUploadRequest(
                    account_id=ACCOUNT, content_type="image/png", bytes=100
                ),
            },
            must_refuse=outside_the_documented_bounds,
            invariant=still_stores_an_output,
            metadata=bearer_metadata(operator),
        )

    assert_no_findings(report)
    assert {m.rsplit("/", 1)[1] for m in report.methods if m.startswith(SERVICE)} == {
        "RegisterOutput", "GetMedia", "CreateUpload", "CompleteUpload", "ListMedia", "DeleteMedia",
        "CreateInputUpload",
    }  # fmt: skip
