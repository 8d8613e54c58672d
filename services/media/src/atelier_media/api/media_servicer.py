"""atelier.media.v1.MediaService: translates protobuf to media's use cases and back."""

from __future__ import annotations

from typing import Any

import grpc

from atelier.media.v1 import media_pb2, media_pb2_grpc
from atelier_media.api import wire_inputs
from atelier_media.api.wire_messages import media
from atelier_media.application.input_uploads import InputUploads
from atelier_media.application.library import MediaLibrary
from atelier_media.application.registration import Registration
from atelier_media.application.uploads import BrowserUploads
from atelier_runtime.proto_time import to_timestamp

Context = grpc.aio.ServicerContext[Any, Any]


class MediaServicer(media_pb2_grpc.MediaServiceServicer):
    def __init__(
        self,
        registration: Registration,
        uploads: BrowserUploads,
        library: MediaLibrary,
        inputs: InputUploads,
    ) -> None:
        self._registration = registration
        self._uploads = uploads
        self._library = library
        self._inputs = inputs

    async def RegisterOutput(
        self, request: media_pb2.RegisterOutputRequest, context: Context
    ) -> media_pb2.RegisterOutputResponse:
        record = await self._registration.register(wire_inputs.new_output(request))
        return media_pb2.RegisterOutputResponse(media=media(self._library.view(record)))

    async def GetMedia(
        self, request: media_pb2.GetMediaRequest, context: Context
    ) -> media_pb2.GetMediaResponse:
        account = wire_inputs.media_id("account_id", request.account_id)
        media_id = wire_inputs.media_id("media_id", request.media_id)
        return media_pb2.GetMediaResponse(media=media(await self._library.get(account, media_id)))

    async def CreateUpload(
        self, request: media_pb2.CreateUploadRequest, context: Context
    ) -> media_pb2.CreateUploadResponse:
        account = wire_inputs.media_id("account_id", request.account_id)
        media_id = wire_inputs.media_id("media_id", request.media_id)
        target = await self._uploads.create_target(account, media_id)
        return media_pb2.CreateUploadResponse(
            url=target.url,
            method="PUT",
            headers={"Content-Type": target.content_type},
            expires_at=to_timestamp(target.expires_at),
        )

    async def CompleteUpload(
        self, request: media_pb2.CompleteUploadRequest, context: Context
    ) -> media_pb2.CompleteUploadResponse:
        account = wire_inputs.media_id("account_id", request.account_id)
        media_id = wire_inputs.media_id("media_id", request.media_id)
        record = await self._uploads.complete(account, media_id)
        return media_pb2.CompleteUploadResponse(media=media(self._library.view(record)))

    async def ListMedia(
        self, request: media_pb2.ListMediaRequest, context: Context
    ) -> media_pb2.ListMediaResponse:
        account = wire_inputs.media_id("account_id", request.account_id)
        generation = wire_inputs.optional_id("generation_id", request.generation_id)
        size = wire_inputs.page_size(request.page_size)
        after = wire_inputs.page_token(request.page_token)
        page = await self._library.list(account, generation, after, size)
        return media_pb2.ListMediaResponse(
            media=[media(view) for view in page.items],
            next_page_token=wire_inputs.encode_page_token(page.next_after),
        )

    async def DeleteMedia(
        self, request: media_pb2.DeleteMediaRequest, context: Context
    ) -> media_pb2.DeleteMediaResponse:
        account = wire_inputs.media_id("account_id", request.account_id)
        media_id = wire_inputs.media_id("media_id", request.media_id)
        return media_pb2.DeleteMediaResponse(
            media=media(await self._library.delete(account, media_id))
        )

    async def CreateInputUpload(
        self, request: media_pb2.CreateInputUploadRequest, context: Context
    ) -> media_pb2.CreateInputUploadResponse:
        account = wire_inputs.media_id("account_id", request.account_id)
        created = await self._inputs.create(account, request.content_type, request.bytes)
        target = created.upload
        return media_pb2.CreateInputUploadResponse(
            media_id=created.media_id,
            upload=media_pb2.CreateUploadResponse(
                url=target.url,
                method="PUT",
                headers={"Content-Type": target.content_type},
                expires_at=to_timestamp(target.expires_at),
            ),
            read_url=created.read_url,
            read_expires_at=to_timestamp(created.read_expires_at)
            if created.read_expires_at
            else None,
        )
