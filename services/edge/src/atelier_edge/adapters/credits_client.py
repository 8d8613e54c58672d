"""The edge's client of the credits service: balances and statements, read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_runtime.grpc_client import balanced_channel

if TYPE_CHECKING:
    CreditsStub = credits_pb2_grpc.CreditsServiceAsyncStub


class CreditsClient:
    """Calls credits over every replica in `address` (round robin), each call with a deadline."""

    def __init__(self, address: str, timeout_s: float) -> None:
        self._channel = balanced_channel(address, variable="ATELIER_CREDITS_ADDR")
        self._stub: CreditsStub = credits_pb2_grpc.CreditsServiceStub(self._channel)  # type: ignore[assignment]
        self._timeout_s = timeout_s

    async def balance(self, account_id: str) -> credits_pb2.Balance:
        request = credits_pb2.GetBalanceRequest(account_id=account_id)
        reply = await self._stub.GetBalance(request, timeout=self._timeout_s)
        return reply.balance

    async def statement(
        self, account_id: str, page_size: int, page_token: str
    ) -> credits_pb2.ListStatementResponse:
        request = credits_pb2.ListStatementRequest(
            account_id=account_id, page_size=page_size, page_token=page_token
        )
        return await self._stub.ListStatement(request, timeout=self._timeout_s)

    async def close(self) -> None:
        await self._channel.close()
