"""Remember each inbound call's deadline so outbound calls made while serving it can respect it."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio

from atelier_runtime.grpc_handlers import (
    Context,
    Handler,
    StreamBehavior,
    UnaryBehavior,
    rewrap_handler,
)

# Monotonic instant by which the call being served must answer; None when it has no deadline.
_inbound_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "atelier_inbound_deadline", default=None
)


def inbound_time_remaining() -> float | None:
    """Seconds left for the call being served; None outside a call or without a deadline."""
    deadline = _inbound_deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def _remember(context: Context) -> None:
    remaining = context.time_remaining()
    if remaining is not None:
        _inbound_deadline.set(time.monotonic() + remaining)


class _DeadlineCapture:
    """Sets the deadline context variable inside the task that runs the servicer."""

    def wrap_unary(self, behavior: UnaryBehavior, method: str) -> UnaryBehavior:
        async def captured(request: Any, context: Context) -> Any:
            _remember(context)
            return await behavior(request, context)

        return captured

    def wrap_stream(self, behavior: StreamBehavior, method: str) -> StreamBehavior:
        async def captured(request: Any, context: Context) -> Any:
            _remember(context)
            async for response in behavior(request, context):
                yield response

        return captured


class DeadlineInterceptor(grpc.aio.ServerInterceptor):
    """Makes `inbound_time_remaining()` (and so `grpc_client.call_timeout()`) see the deadline."""

    def __init__(self) -> None:
        self._capture = _DeadlineCapture()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        return rewrap_handler(handler, self._capture, handler_call_details.method)
