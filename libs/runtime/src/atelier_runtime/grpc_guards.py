"""Checks the caller before any method of a guarded service runs (admin methods, for instance)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol, TypeAlias

import grpc
import grpc.aio

from atelier_runtime.errors import AtelierError
from atelier_runtime.grpc_handlers import Context, Handler, handler_like

# What a call carries besides its request: (key, value) pairs, keys in lower case.
Metadata: TypeAlias = Iterable[tuple[str, str | bytes]]


class CallGuard(Protocol):
    """Decides whether a call may reach its service."""

    def check(self, metadata: Metadata | None, method: str) -> object:
        """Returns when the call may go on; raises an AtelierError (UNAUTHENTICATED, ...) if not."""
        ...


def service_of(method: str) -> str:
    """`/atelier.credits.v1.CreditsAdminService/Audit` -> `atelier.credits.v1.CreditsAdminService`."""
    return method.lstrip("/").partition("/")[0]


def _refusing(handler: Handler, refusal: AtelierError) -> Handler:
    # Same shape as the method it replaces (streaming responses come from an async generator),
    # so the interceptors around it, error mapping included, treat it like the real thing.
    async def refuse(request: Any, context: Context) -> Any:
        raise refusal

    async def refuse_stream(request: Any, context: Context) -> AsyncIterator[Any]:
        raise refusal
        yield  # pragma: no cover - makes this an async generator

    return handler_like(handler, refuse_stream if handler.response_streaming else refuse)


class GuardInterceptor(grpc.aio.ServerInterceptor):
    """Runs each guarded service's guard before the call is handed to the servicer.

    The check happens here, on the call's metadata, before any behaviour is even looked at, so
    it does not depend on how a method is written.
    """

    def __init__(self, guards: Mapping[str, CallGuard]) -> None:
        self._guards = dict(guards)  # full service name -> its guard

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        guard = self._guards.get(service_of(handler_call_details.method))
        if guard is None or handler is None:
            return handler
        try:
            guard.check(handler_call_details.invocation_metadata, handler_call_details.method)
        except AtelierError as refusal:
            return _refusing(handler, refusal)
        return handler
