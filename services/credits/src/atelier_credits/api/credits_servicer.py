"""atelier.credits.v1.CreditsService: translates protobuf to ledger use cases and back, nothing more."""

from __future__ import annotations

from typing import Any

import grpc

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_credits.adapters.statement_reader import StatementReader
from atelier_credits.api.error_details import details_for
from atelier_credits.api.wire_inputs import instant_of, reason_of, ttl_of
from atelier_credits.application.ledger import Applied, Ledger
from atelier_credits.domain import inputs
from atelier_runtime.proto_time import to_timestamp

Context = grpc.aio.ServicerContext[Any, Any]


def _balance(account_id: str, applied: Applied[Any]) -> credits_pb2.Balance:
    b = applied.balance
    return credits_pb2.Balance(
        account_id=account_id,
        available=b.available,
        frozen=b.frozen,
        consumed=b.consumed,
        expired=b.expired,
        revoked=b.revoked,
        granted=b.granted,
        version=applied.version,
    )


class CreditsServicer(credits_pb2_grpc.CreditsServiceServicer):
    """Every write is idempotent by its id, so clients may retry any of them."""

    def __init__(self, ledger: Ledger, statements: StatementReader) -> None:
        self._ledger = ledger
        self._statements = statements

    async def Grant(
        self, request: credits_pb2.GrantRequest, context: Context
    ) -> credits_pb2.GrantResponse:
        async with details_for(request.account_id):
            expires_at = (
                instant_of("expires_at", request.expires_at)
                if request.HasField("expires_at")
                else None
            )
            applied = await self._ledger.grant(
                request.account_id,
                request.grant_id,
                request.amount,
                source=request.source,
                priority=request.priority,
                expires_at=expires_at,
                reference=request.reference,
            )
        return credits_pb2.GrantResponse(
            grant_id=applied.result.grant_id, balance=_balance(request.account_id, applied)
        )

    async def Freeze(
        self, request: credits_pb2.FreezeRequest, context: Context
    ) -> credits_pb2.FreezeResponse:
        async with details_for(request.account_id):
            ttl = ttl_of("ttl", request.ttl) if request.HasField("ttl") else None
            applied = await self._ledger.freeze(
                request.account_id,
                request.freeze_id,
                request.amount,
                reference=request.reference,
                ttl=ttl,
            )
        result = applied.result
        return credits_pb2.FreezeResponse(
            freeze_id=result.freeze_id,
            amount=result.amount,
            expires_at=to_timestamp(result.expires_at),
            draws=[
                credits_pb2.GrantDraw(grant_id=d.grant_id, amount=d.amount) for d in result.draws
            ],
            balance=_balance(request.account_id, applied),
        )

    async def Confirm(
        self, request: credits_pb2.ConfirmRequest, context: Context
    ) -> credits_pb2.ConfirmResponse:
        amount = request.amount if request.HasField("amount") else None
        async with details_for(request.account_id):
            applied = await self._ledger.confirm(request.account_id, request.freeze_id, amount)
        return credits_pb2.ConfirmResponse(
            freeze_id=applied.result.freeze_id,
            confirmed=applied.result.confirmed,
            released=applied.result.released,
            balance=_balance(request.account_id, applied),
        )

    async def RollBack(
        self, request: credits_pb2.RollBackRequest, context: Context
    ) -> credits_pb2.RollBackResponse:
        async with details_for(request.account_id):
            reason = reason_of("reason", request.reason)
            applied = await self._ledger.rollback(request.account_id, request.freeze_id, reason)
        return credits_pb2.RollBackResponse(
            freeze_id=applied.result.freeze_id,
            released=applied.result.released,
            balance=_balance(request.account_id, applied),
        )

    async def Revoke(
        self, request: credits_pb2.RevokeRequest, context: Context
    ) -> credits_pb2.RevokeResponse:
        async with details_for(request.account_id):
            applied = await self._ledger.revoke(
                request.account_id,
                request.revocation_id,
                request.amount,
                reason=request.reason,
                reference=request.reference,
            )
        return credits_pb2.RevokeResponse(
            revocation_id=applied.result.revocation_id,
            revoked=applied.result.revoked,
            shortfall=applied.result.shortfall,
            balance=_balance(request.account_id, applied),
        )

    async def GetBalance(
        self, request: credits_pb2.GetBalanceRequest, context: Context
    ) -> credits_pb2.GetBalanceResponse:
        async with details_for(request.account_id):
            applied = await self._ledger.balance_with_version(request.account_id)
        return credits_pb2.GetBalanceResponse(balance=_balance(request.account_id, applied))

    async def ListStatement(
        self, request: credits_pb2.ListStatementRequest, context: Context
    ) -> credits_pb2.ListStatementResponse:
        async with details_for(request.account_id):
            entries, next_token = await self._statements.page(
                inputs.identifier("account_id", request.account_id),
                request.page_size,
                request.page_token,
            )
        return credits_pb2.ListStatementResponse(
            lines=[
                credits_pb2.StatementLine(
                    version=e.version,
                    kind=e.kind,
                    entry_id=e.entry_id,
                    amount=e.amount,
                    available_after=e.available_after,
                    frozen_after=e.frozen_after,
                    reference=e.reference,
                    occurred_at=to_timestamp(e.occurred_at),
                )
                for e in entries
            ],
            next_page_token=next_token,
        )
