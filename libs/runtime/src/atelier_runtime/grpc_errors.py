"""The one table from business errors to gRPC statuses, its server interceptor and its reader."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from types import MappingProxyType
from typing import Any, Never, Protocol

import grpc
import grpc.aio
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-untyped]
from grpc_status import rpc_status

from atelier_runtime.errors import AtelierError, ErrorCode, error_class, is_valid_reason
from atelier_runtime.grpc_handlers import (
    Context,
    Handler,
    StreamBehavior,
    UnaryBehavior,
    rewrap_handler,
)

logger = logging.getLogger(__name__)

STATUS_BY_CODE: MappingProxyType[ErrorCode, grpc.StatusCode] = MappingProxyType(
    {
        ErrorCode.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
        ErrorCode.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
        ErrorCode.ALREADY_EXISTS: grpc.StatusCode.ALREADY_EXISTS,
        ErrorCode.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
        ErrorCode.RESOURCE_EXHAUSTED: grpc.StatusCode.RESOURCE_EXHAUSTED,
        ErrorCode.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
        ErrorCode.PERMISSION_DENIED: grpc.StatusCode.PERMISSION_DENIED,
        ErrorCode.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
        ErrorCode.ABORTED: grpc.StatusCode.ABORTED,
        ErrorCode.DEADLINE_EXCEEDED: grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)
_CODE_BY_STATUS = {status: code for code, status in STATUS_BY_CODE.items()}

# What a caller sees for a bug: no exception text, which could leak internals or personal data.
INTERNAL_MESSAGE = "internal error"
INTERNAL_REASON = "INTERNAL_ERROR"
_DETAILS_KEY = "grpc-status-details-bin"


def error_domain(service_name: str) -> str:
    """The ErrorInfo domain of one Atelier service, e.g. "atelier.credits"."""
    return f"atelier.{service_name}"


def to_rpc_status(exc: Exception, *, domain: str) -> grpc.Status:
    """The status a client receives for `exc`: the table for business errors, INTERNAL otherwise."""
    if isinstance(exc, AtelierError):
        info = error_details_pb2.ErrorInfo(reason=exc.reason, domain=domain, metadata=exc.metadata)
        return _rich_status(
            STATUS_BY_CODE[exc.code], exc.message, (info, *_field_violation(exc), *exc.details)
        )
    info = error_details_pb2.ErrorInfo(reason=INTERNAL_REASON, domain=domain)
    return _rich_status(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE, (info,))


def _field_violation(exc: AtelierError) -> tuple[Message, ...]:
    """A BadRequest naming the field, for an invalid argument that says which field it is."""
    field = exc.metadata.get("field")
    if exc.code is not ErrorCode.INVALID_ARGUMENT or not field:
        return ()
    if any(isinstance(detail, error_details_pb2.BadRequest) for detail in exc.details):
        return ()
    violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=exc.message)
    return (error_details_pb2.BadRequest(field_violations=[violation]),)


def _rich_status(code: grpc.StatusCode, message: str, details: Sequence[Message]) -> grpc.Status:
    status = status_pb2.Status(code=code.value[0], message=message)
    for detail in details:
        status.details.add().Pack(detail)
    result: grpc.Status = rpc_status.to_status(status)
    return result


class _HasTrailers(Protocol):
    def code(self) -> grpc.StatusCode: ...
    def details(self) -> str | None: ...
    def trailing_metadata(self) -> Any: ...


def error_details(rpc_error: _HasTrailers) -> tuple[error_details_pb2.ErrorInfo | None, list[Any]]:
    """Read back the ErrorInfo and the other packed details (as `Any`) from a failed call."""
    info: error_details_pb2.ErrorInfo | None = None
    others: list[any_pb2.Any] = []
    for key, value in rpc_error.trailing_metadata() or ():
        if key != _DETAILS_KEY:
            continue
        for packed in status_pb2.Status.FromString(value).details:
            if info is None and packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                packed.Unpack(info)
            else:
                others.append(packed)
    return info, list(others)


def to_atelier_error(rpc_error: _HasTrailers) -> AtelierError | None:
    """Rebuild the business error a remote service raised; None for transport faults and bugs."""
    code = _CODE_BY_STATUS.get(rpc_error.code())
    if code is None:
        return None
    info, details = error_details(rpc_error)
    reason = info.reason if info is not None and is_valid_reason(info.reason) else code.value
    metadata = dict(info.metadata) if info is not None else {}
    return error_class(code)(
        rpc_error.details() or "", reason=reason, metadata=metadata, details=details
    )


class _ErrorMapping:
    """Catches what escapes a servicer and aborts the call with the mapped status."""

    def __init__(self, domain: str) -> None:
        self._domain = domain

    def wrap_unary(self, behavior: UnaryBehavior, method: str) -> UnaryBehavior:
        async def mapped(request: Any, context: Context) -> Any:
            try:
                return await behavior(request, context)
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await self._abort(context, exc, method)

        return mapped

    def wrap_stream(self, behavior: StreamBehavior, method: str) -> StreamBehavior:
        async def mapped(request: Any, context: Context) -> Any:
            try:
                async for response in behavior(request, context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await self._abort(context, exc, method)

        return mapped

    async def _abort(self, context: Context, exc: Exception, method: str) -> Never:
        if isinstance(exc, AtelierError):
            logger.info(
                "rpc failed",
                extra={"rpc_method": method, "code": exc.code.value, "reason": exc.reason},
            )
        else:
            logger.error("unhandled error in rpc", extra={"rpc_method": method}, exc_info=exc)
        status = to_rpc_status(exc, domain=self._domain)
        await context.abort(status.code, status.details, status.trailing_metadata)


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Applies the error table to every async handler, so servicers contain no error mapping."""

    def __init__(self, domain: str) -> None:
        self._mapping = _ErrorMapping(domain)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        return rewrap_handler(handler, self._mapping, handler_call_details.method)
