"""The credits service as the saga's wallet, over gRPC (atelier.credits.v1). Every call is
idempotent there by its freeze id, so a resumed saga repeats any of them safely."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio
from google.protobuf.duration_pb2 import Duration

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_runtime.errors import Unavailable
from atelier_runtime.grpc_client import call_timeout
from atelier_runtime.grpc_errors import error_details

if TYPE_CHECKING:
    Stub = credits_pb2_grpc.CreditsServiceAsyncStub

_SHOWN = 300


class InsufficientCredits(Exception):
    """The account cannot cover the freeze; `detail` is credits' own InsufficientCredits."""

    def __init__(self, detail: credits_pb2.InsufficientCredits) -> None:
        super().__init__(
            f"insufficient credits: {detail.available} available, {detail.requested} requested"
        )
        self.detail = detail


class FreezeResolved(Exception):
    """The freeze was confirmed or rolled back before (e.g. rolled back at its expiry)."""

    def __init__(self, resolution: str, reason: str) -> None:
        super().__init__(f"the freeze was {resolution} before ({reason})")
        self.resolution = resolution
        self.reason = reason


class CreditsRefused(Exception):
    """A refusal no retry can change (an invalid or conflicting request): a bug to look at."""


@dataclass(frozen=True)
class CreditsWallet:
    """Freeze, Confirm and RollBack by freeze id."""

    channel: grpc.aio.Channel

    @property
    def _stub(self) -> Stub:
        return credits_pb2_grpc.CreditsServiceStub(self.channel)  # type: ignore[return-value]

    async def freeze(
        self, account_id: str, freeze_id: str, amount: int, ttl: timedelta, reference: str
    ) -> None:
        duration = Duration()
        duration.FromTimedelta(ttl)
        request = credits_pb2.FreezeRequest(
            account_id=account_id,
            freeze_id=freeze_id,
            amount=amount,
            reference=reference,
            ttl=duration,
        )
        await self._call(self._stub.Freeze, request)

    async def confirm(self, account_id: str, freeze_id: str) -> None:
        await self._call(
            self._stub.Confirm,
            credits_pb2.ConfirmRequest(account_id=account_id, freeze_id=freeze_id),
        )

    async def roll_back(
        self, account_id: str, freeze_id: str, reason: credits_pb2.RollbackReason.ValueType
    ) -> None:
        """Releases the freeze; done already (or never frozen) counts as done."""
        request = credits_pb2.RollBackRequest(
            account_id=account_id, freeze_id=freeze_id, reason=reason
        )
        try:
            await self._call(self._stub.RollBack, request)
        except FreezeResolved as resolved:
            if resolved.resolution != "rolled_back":
                raise CreditsRefused(f"roll back of {freeze_id}: {resolved}") from None
        except _NeverFrozen:
            pass

    async def _call(self, method: Any, request: Any) -> None:
        try:
            await method(request, timeout=call_timeout())
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from None


class _NeverFrozen(Exception):
    pass


def _failure(error: grpc.aio.AioRpcError) -> Exception:
    info, details = error_details(error)
    for packed in details:
        if packed.Is(credits_pb2.InsufficientCredits.DESCRIPTOR):
            insufficient = credits_pb2.InsufficientCredits()
            packed.Unpack(insufficient)
            return InsufficientCredits(insufficient)
        if packed.Is(credits_pb2.FreezeAlreadyResolved.DESCRIPTOR):
            resolved = credits_pb2.FreezeAlreadyResolved()
            packed.Unpack(resolved)
            return FreezeResolved(resolved.resolution, resolved.reason)
    reason = info.reason if info is not None and info.reason else error.code().name
    message = f"credits answered {error.code().name} [{reason}]: {(error.details() or '')[:_SHOWN]}"
    if error.code() is grpc.StatusCode.NOT_FOUND:
        return _NeverFrozen(message)
    if error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS):
        return CreditsRefused(message)
    return Unavailable(message, reason="CREDITS_UNAVAILABLE")
