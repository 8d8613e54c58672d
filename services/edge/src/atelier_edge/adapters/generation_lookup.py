"""Asks generation for one generation's current state: the snapshot a stream starts with, and the
proof that the caller owns it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc

from atelier.generation.v1 import generation_pb2 as pb
from atelier.generation.v1 import generation_pb2_grpc
from atelier_runtime.grpc_client import balanced_channel

if TYPE_CHECKING:
    GenerationStub = generation_pb2_grpc.GenerationServiceAsyncStub

LOOKUP_DEADLINE_S = 5.0


class GenerationLookup:
    def __init__(self, address: str) -> None:
        self._channel = balanced_channel(address, variable="ATELIER_GENERATION_ADDR")
        self._stub: GenerationStub = generation_pb2_grpc.GenerationServiceStub(self._channel)  # type: ignore[assignment]

    async def get(self, account_id: str, generation_id: str) -> pb.Generation | None:
        """The account's generation, or None when it has none by that id (another's included)."""
        request = pb.GetGenerationRequest(account_id=account_id, generation_id=generation_id)
        try:
            reply = await self._stub.GetGeneration(request, timeout=LOOKUP_DEADLINE_S)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return reply.generation

    async def close(self) -> None:
        await self._channel.close()
