"""The edge's client of the generation service: the catalogue and the account's generations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier_runtime.grpc_client import balanced_channel

if TYPE_CHECKING:
    GenerationStub = generation_pb2_grpc.GenerationServiceAsyncStub


class GenerationClient:
    """Calls generation over every replica in `address` (round robin), each call with a deadline.

    A submit waits for credits' freeze inside generation, so it has a deadline of its own.
    """

    def __init__(self, address: str, timeout_s: float, submit_timeout_s: float) -> None:
        self._channel = balanced_channel(address, variable="ATELIER_GENERATION_ADDR")
        self._stub: GenerationStub = generation_pb2_grpc.GenerationServiceStub(self._channel)  # type: ignore[assignment]
        self._timeout_s = timeout_s
        self._submit_timeout_s = submit_timeout_s

    async def tools(self) -> Sequence[generation_pb2.Tool]:
        reply = await self._stub.ListTools(
            generation_pb2.ListToolsRequest(), timeout=self._timeout_s
        )
        return list(reply.tools)

    async def submit(
        self,
        account_id: str,
        key: str,
        tool: str,
        model: str,
        prompt: str,
        params_json: str,
        input_media_ids: Sequence[str],
    ) -> generation_pb2.Generation:
        request = generation_pb2.SubmitGenerationRequest(
            account_id=account_id,
            idempotency_key=key,
            tool=tool,
            model=model,
            prompt=prompt,
            params_json=params_json,
            input_media_ids=list(input_media_ids),
        )
        reply = await self._stub.Submit(request, timeout=self._submit_timeout_s)
        return reply.generation

    async def get(self, account_id: str, generation_id: str) -> generation_pb2.Generation:
        request = generation_pb2.GetGenerationRequest(
            account_id=account_id, generation_id=generation_id
        )
        reply = await self._stub.GetGeneration(request, timeout=self._timeout_s)
        return reply.generation

    async def cancel(self, account_id: str, generation_id: str) -> generation_pb2.Generation:
        request = generation_pb2.CancelGenerationRequest(
            account_id=account_id, generation_id=generation_id
        )
        reply = await self._stub.CancelGeneration(request, timeout=self._timeout_s)
        return reply.generation

    async def page(
        self, account_id: str, page_size: int, page_token: str
    ) -> generation_pb2.ListGenerationsResponse:
        request = generation_pb2.ListGenerationsRequest(
            account_id=account_id, page_size=page_size, page_token=page_token
        )
        return await self._stub.ListGenerations(request, timeout=self._timeout_s)

    async def handle_provider_webhook(
        self, provider: str, headers: dict[str, str], body: bytes
    ) -> generation_pb2.HandleProviderWebhookResponse:
        request = generation_pb2.HandleProviderWebhookRequest(
            provider=provider, headers=headers, body=body
        )
        return await self._stub.HandleProviderWebhook(request, timeout=self._timeout_s)

    async def close(self) -> None:
        await self._channel.close()
