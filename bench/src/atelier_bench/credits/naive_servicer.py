"""atelier.credits.v1.CreditsService on the naive ledger: same proto and wire errors as ours.

Only what the benchmark drives is served (Grant, Freeze, Confirm, GetBalance); the rest answers
UNIMPLEMENTED, as gRPC does for any method a server does not offer.
"""

from __future__ import annotations

from typing import Any, NoReturn

import grpc

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_bench.credits.naive_ledger import NaiveBalance, NaiveLedger
from atelier_credits.api.error_details import details_for

Context = grpc.aio.ServicerContext[Any, Any]


def _balance(account_id: str, balance: NaiveBalance) -> credits_pb2.Balance:
    return credits_pb2.Balance(
        account_id=account_id,
        available=balance.available,
        frozen=balance.frozen,
        consumed=balance.consumed,
        granted=balance.granted,
    )


class NaiveCreditsServicer(credits_pb2_grpc.CreditsServiceServicer):
    """Translates protobuf to the naive ledger and back, exactly as ours does for its ledger."""

    def __init__(self, ledger: NaiveLedger) -> None:
        self._ledger = ledger

    async def Grant(
        self, request: credits_pb2.GrantRequest, context: Context
    ) -> credits_pb2.GrantResponse:
        async with details_for(request.account_id):
            balance = await self._ledger.grant(request.account_id, request.grant_id, request.amount)
        return credits_pb2.GrantResponse(
            grant_id=request.grant_id, balance=_balance(request.account_id, balance)
        )

    async def Freeze(
        self, request: credits_pb2.FreezeRequest, context: Context
    ) -> credits_pb2.FreezeResponse:
        async with details_for(request.account_id):
            balance = await self._ledger.freeze(
                request.account_id, request.freeze_id, request.amount
            )
        return credits_pb2.FreezeResponse(
            freeze_id=request.freeze_id,
            amount=request.amount,
            balance=_balance(request.account_id, balance),
        )

    async def Confirm(
        self, request: credits_pb2.ConfirmRequest, context: Context
    ) -> credits_pb2.ConfirmResponse:
        amount = request.amount if request.HasField("amount") else None
        async with details_for(request.account_id):
            done = await self._ledger.confirm(request.account_id, request.freeze_id, amount)
        return credits_pb2.ConfirmResponse(
            freeze_id=request.freeze_id,
            confirmed=done.confirmed,
            released=done.released,
            balance=_balance(request.account_id, done.balance),
        )

    async def GetBalance(
        self, request: credits_pb2.GetBalanceRequest, context: Context
    ) -> credits_pb2.GetBalanceResponse:
        async with details_for(request.account_id):
            balance = await self._ledger.balance(request.account_id)
        return credits_pb2.GetBalanceResponse(balance=_balance(request.account_id, balance))

    async def RollBack(
        self, request: credits_pb2.RollBackRequest, context: Context
    ) -> credits_pb2.RollBackResponse:
        await _not_in_baseline(context, "RollBack")

    async def Revoke(
        self, request: credits_pb2.RevokeRequest, context: Context
    ) -> credits_pb2.RevokeResponse:
        await _not_in_baseline(context, "Revoke")

    async def ListStatement(
        self, request: credits_pb2.ListStatementRequest, context: Context
    ) -> credits_pb2.ListStatementResponse:
        await _not_in_baseline(context, "ListStatement")


async def _not_in_baseline(context: Context, method: str) -> NoReturn:
    await context.abort(
        grpc.StatusCode.UNIMPLEMENTED, f"{method} is not part of the naive credits baseline"
    )
