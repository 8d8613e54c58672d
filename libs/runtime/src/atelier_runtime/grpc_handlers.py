"""Rewrap a grpc.aio handler's behaviour, keeping its async shape, for server interceptors."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeAlias

import grpc
import grpc.aio

# Strings: the grpc classes are generic only in their type stubs, not at run time.
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
UnaryBehavior: TypeAlias = Callable[[Any, Context], Awaitable[Any]]
StreamBehavior: TypeAlias = Callable[[Any, Context], AsyncIterator[Any]]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class BehaviorWrapper(Protocol):
    """Decorates behaviours; grpc.aio tells the response shapes apart by function kind."""

    def wrap_unary(self, behavior: UnaryBehavior, method: str) -> UnaryBehavior:
        """Wrap a coroutine behaviour (unary, or streaming through context.write)."""
        ...

    def wrap_stream(self, behavior: StreamBehavior, method: str) -> StreamBehavior:
        """Wrap an async-generator behaviour (streaming response)."""
        ...


_FACTORIES = {
    (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
    (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
    (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
    (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
}


def rewrap_handler(
    handler: Handler | None, wrapper: BehaviorWrapper, method: str
) -> Handler | None:
    """Return a handler whose behaviour runs inside `wrapper`; sync behaviours are left alone."""
    if handler is None:
        return None
    attribute, _ = _FACTORIES[(handler.request_streaming, handler.response_streaming)]
    behavior = getattr(handler, attribute)
    if inspect.isasyncgenfunction(behavior):
        wrapped: Any = wrapper.wrap_stream(behavior, method)
    elif inspect.iscoroutinefunction(behavior):
        wrapped = wrapper.wrap_unary(behavior, method)
    else:
        # grpc.aio runs sync behaviours in an executor; wrapping them in a coroutine would block
        # the event loop, so they keep their original shape.
        return handler
    return handler_like(handler, wrapped)


def handler_like(handler: Handler, behavior: Any) -> Handler:
    """A handler of the same shape and serialisers as `handler` that runs `behavior` instead."""
    _, factory = _FACTORIES[(handler.request_streaming, handler.response_streaming)]
    return factory(
        behavior,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
