"""Calls the credits service's admin methods as the operator, with a token signed for this call."""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc

from atelier.credits.v1 import credits_admin_pb2, credits_admin_pb2_grpc
from atelier_cli.platform_access import CreditsAdminTarget
from atelier_runtime.grpc_client import balanced_channel
from atelier_runtime.grpc_errors import error_details
from atelier_runtime.service_auth import OPERATOR, bearer_metadata, sign_service_token

if TYPE_CHECKING:
    AdminStub = credits_admin_pb2_grpc.CreditsAdminServiceAsyncStub
    Metadata = tuple[tuple[str, str], ...]


class AdminCallFailed(Exception):
    """The credits service could not be reached, refused the call, or failed it; one line says which."""


def _operator_token(secret: str) -> Metadata:
    # Short-lived and named after the operator, so the service's log says who audited or rebuilt.
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return bearer_metadata(sign_service_token(secret, role=OPERATOR, subject=f"atelier-cli:{user}"))


def _failure(error: grpc.aio.AioRpcError) -> AdminCallFailed:
    info, _ = error_details(error)
    reason = f" [{info.reason}]" if info is not None and info.reason else ""
    return AdminCallFailed(f"{error.code().name}{reason}: {error.details()}")


async def audit_stream(
    target: CreditsAdminTarget, account_id: str | None
) -> AsyncIterator[credits_admin_pb2.AuditResponse]:
    """The audit's progress messages, then its report."""
    request = credits_admin_pb2.AuditRequest(account_id=account_id)
    async with balanced_channel(target.address, variable="credits in platform.json") as ch:
        stub: AdminStub = credits_admin_pb2_grpc.CreditsAdminServiceStub(ch)  # type: ignore[assignment]
        try:
            async for response in stub.Audit(request, metadata=_operator_token(target.jwt_secret)):
                yield response
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from None


async def rebuild_stream(
    target: CreditsAdminTarget,
) -> AsyncIterator[credits_admin_pb2.RebuildProjectionsResponse]:
    """The rebuild's progress messages, then its summary."""
    request = credits_admin_pb2.RebuildProjectionsRequest()
    metadata = _operator_token(target.jwt_secret)
    async with balanced_channel(target.address, variable="credits in platform.json") as ch:
        stub: AdminStub = credits_admin_pb2_grpc.CreditsAdminServiceStub(ch)  # type: ignore[assignment]
        try:
            async for response in stub.RebuildProjections(request, metadata=metadata):
                yield response
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from None
