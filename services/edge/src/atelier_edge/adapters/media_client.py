"""The edge's client of the media service: an account's files and their browser uploads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from atelier.media.v1 import media_pb2, media_pb2_grpc
from atelier_runtime.grpc_client import balanced_channel

if TYPE_CHECKING:
    MediaStub = media_pb2_grpc.MediaServiceAsyncStub


class MediaClient:
    """Calls media over every replica in `address` (round robin), each call with a deadline."""

    def __init__(self, address: str, timeout_s: float) -> None:
        self._channel = balanced_channel(address, variable="ATELIER_MEDIA_ADDR")
        self._stub: MediaStub = media_pb2_grpc.MediaServiceStub(self._channel)  # type: ignore[assignment]
        self._timeout_s = timeout_s

    async def get(self, account_id: str, media_id: str) -> media_pb2.Media:
        request = media_pb2.GetMediaRequest(account_id=account_id, media_id=media_id)
        reply = await self._stub.GetMedia(request, timeout=self._timeout_s)
        return reply.media

    async def create_upload(self, account_id: str, media_id: str) -> media_pb2.CreateUploadResponse:
        request = media_pb2.CreateUploadRequest(account_id=account_id, media_id=media_id)
        return await self._stub.CreateUpload(request, timeout=self._timeout_s)

    async def complete_upload(self, account_id: str, media_id: str) -> media_pb2.Media:
        request = media_pb2.CompleteUploadRequest(account_id=account_id, media_id=media_id)
        reply = await self._stub.CompleteUpload(request, timeout=self._timeout_s)
        return reply.media

    async def create_input_upload(
        self, account_id: str, content_type: str, size: int
    ) -> media_pb2.CreateInputUploadResponse:
        request = media_pb2.CreateInputUploadRequest(
            account_id=account_id, content_type=content_type, bytes=size
        )
        return await self._stub.CreateInputUpload(request, timeout=self._timeout_s)

    async def close(self) -> None:
        await self._channel.close()
