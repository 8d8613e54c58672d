"""Calls the credits service's admin methods as the operator, with a token signed for this call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc

from atelier.credits.v1 import credits_admin_pb2, credits_admin_pb2_grpc
from atelier_cli.operator_calls import operator_metadata, rpc_failure
from atelier_cli.platform_access import CreditsAdminTarget
from atelier_runtime.grpc_client import balanced_channel

if TYPE_CHECKING:
    AdminStub = credits_admin_pb2_grpc.CreditsAdminServiceAsyncStub
    Metadata = tuple[tuple[str, str], ...]


class AdminCallFailed(Exception):
    """The credits service could not be reached, refused the call, or failed it; one line says which."""


def _failure(error: grpc.aio.AioRpcError) -> AdminCallFailed:
    return AdminCallFailed(rpc_failure(error))


async def audit_stream(
    target: CreditsAdminTarget, account_id: str | None
) -> AsyncIterator[credits_admin_pb2.AuditResponse]:
    """The audit's progress messages, then its report."""
    request = credits_admin_pb2.AuditRequest(account_id=account_id)
    async with balanced_channel(target.address, variable="credits in platform.json") as ch:
        stub: AdminStub = credits_admin_pb2_grpc.CreditsAdminServiceStub(ch)  # type: ignore[assignment]
        try:
            async for response in stub.Audit(
                request, metadata=operator_metadata(target.jwt_secret)
            ):
                yield response
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from None


async def rebuild_stream(
    target: CreditsAdminTarget,
) -> AsyncIterator[credits_admin_pb2.RebuildProjectionsResponse]:
    """The rebuild's progress messages, then its summary."""
    request = credits_admin_pb2.RebuildProjectionsRequest()
    metadata = operator_metadata(target.jwt_secret)
    async with balanced_channel(target.address, variable="credits in platform.json") as ch:
        stub: AdminStub = credits_admin_pb2_grpc.CreditsAdminServiceStub(ch)  # type: ignore[assignment]
        try:
            async for response in stub.RebuildProjections(request, metadata=metadata):
                yield response
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from None
