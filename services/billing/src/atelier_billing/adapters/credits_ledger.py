"""The credits service as billing's ledger, over gRPC (atelier.credits.v1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import grpc.aio

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_billing.application.ports import LedgerRefused, Revoked
from atelier_billing.domain.ledger_orders import GrantOrder, RevokeOrder
from atelier_runtime.errors import Unavailable
from atelier_runtime.grpc_client import call_timeout
from atelier_runtime.grpc_errors import error_details
from atelier_runtime.proto_time import to_optional_timestamp

if TYPE_CHECKING:
    Stub = credits_pb2_grpc.CreditsServiceAsyncStub

# Refusals that no retry can change: the order is malformed, or its id was used with other
# arguments. Everything else (unavailable, deadline, overload) is worth another try.
_FINAL = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS}
_SHOWN = 300


class CreditsLedger:
    """Grant and Revoke on credits; both are idempotent there by the ids billing derives."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub: Stub = credits_pb2_grpc.CreditsServiceStub(channel)  # type: ignore[assignment]

    async def grant(self, order: GrantOrder) -> None:
        request = credits_pb2.GrantRequest(
            account_id=order.account_id,
            grant_id=order.grant_id,
            amount=order.amount,
            source=order.source,
            priority=order.priority,
            expires_at=to_optional_timestamp(order.expires_at),
            reference=order.reference,
        )
        try:
            await self._stub.Grant(request, timeout=call_timeout())
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from None

    async def revoke(self, order: RevokeOrder) -> Revoked:
        request = credits_pb2.RevokeRequest(
            account_id=order.account_id,
            revocation_id=order.revocation_id,
            amount=order.amount,
            reason=order.reason,
            reference=order.reference,
        )
        try:
            answer = await self._stub.Revoke(request, timeout=call_timeout())
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from None
        return Revoked(revoked=answer.revoked, shortfall=answer.shortfall)


def _failure(error: grpc.aio.AioRpcError) -> Exception:
    info, _ = error_details(error)
    reason = info.reason if info is not None and info.reason else error.code().name
    message = f"credits answered {error.code().name} [{reason}]: {(error.details() or '')[:_SHOWN]}"
    if error.code() in _FINAL:
        return LedgerRefused(message, reason=reason)
    return Unavailable(message, reason="CREDITS_UNAVAILABLE")
