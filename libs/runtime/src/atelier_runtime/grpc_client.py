"""Outbound gRPC channels with tracing, and per-call timeouts bounded by the inbound deadline."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from typing import Any

import grpc.aio
from opentelemetry import trace

from atelier_runtime.grpc_deadlines import inbound_time_remaining
from atelier_runtime.grpc_targets import InvalidAddresses, grpc_target
from atelier_runtime.tracing import client_interceptors

DEFAULT_TIMEOUT_S = 5.0

ChannelOptions = Sequence[tuple[str, str | int]]

# Each call goes to the next replica in turn. The health check makes a replica that reports
# NOT_SERVING (draining after SIGTERM) get no new calls while its connection is still open.
BALANCED_SERVICE_CONFIG = json.dumps(
    {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}
)
_BALANCED_OPTIONS: ChannelOptions = (
    ("grpc.service_config", BALANCED_SERVICE_CONFIG),
    # A service config published in DNS must not replace ours.
    ("grpc.service_config_disable_resolution", 1),
)


def channel(
    target: str,
    *,
    options: ChannelOptions = (),
    tracer_provider: trace.TracerProvider | None = None,
) -> grpc.aio.Channel:
    """An insecure aio channel to `target` ("host:port") whose calls carry the trace context."""
    interceptors: list[grpc.aio.ClientInterceptor] = [
        *client_interceptors(tracer_provider),
        _CancelUnaryUnary(),
        _CancelStreamUnary(),
    ]
    return grpc.aio.insecure_channel(target, options=list(options), interceptors=interceptors)


def balanced_channel(
    addresses: str,
    *,
    variable: str,
    options: ChannelOptions = (),
    tracer_provider: trace.TracerProvider | None = None,
) -> grpc.aio.Channel:
    """A channel over every replica an `ATELIER_<SERVICE>_ADDR` value names, calls dealt round robin.

    `variable` names where the value came from, for the error a malformed value raises.
    """
    try:
        target = grpc_target(addresses)
    except InvalidAddresses as error:
        raise InvalidAddresses(f"{variable}: {error}, got {addresses!r}") from None
    return channel(target, options=[*_BALANCED_OPTIONS, *options], tracer_provider=tracer_provider)


# OpenTelemetry's aio client interceptor awaits the whole unary call inside the interceptor task,
# so cancelling the caller cancels only that task and the RPC itself keeps running on the server
# (opentelemetry-python-contrib issue 3271). These inner interceptors run in that same task and
# cancel the RPC when it is cancelled.


def _cancel_with_current_task(call: grpc.aio.Call) -> None:
    task = asyncio.current_task()
    if task is not None:
        task.add_done_callback(lambda done: call.cancel() if done.cancelled() else None)


class _CancelUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    """Cancels a unary-unary RPC when its caller is cancelled."""

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        call = await continuation(client_call_details, request)
        _cancel_with_current_task(call)
        return call


class _CancelStreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    """Cancels a stream-unary RPC when its caller is cancelled."""

    async def intercept_stream_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: grpc.aio.ClientCallDetails,
        request_iterator: AsyncIterable[Any] | Iterable[Any],
    ) -> Any:
        call = await continuation(client_call_details, request_iterator)
        _cancel_with_current_task(call)
        return call


def call_timeout(default_s: float = DEFAULT_TIMEOUT_S) -> float:
    """Timeout for one outbound call: `default_s`, cut to what is left of the call being served.

    Passing the caller's remaining budget on means a downstream service stops working on a request
    nobody waits for any more.
    """
    remaining = inbound_time_remaining()
    if remaining is None:
        return default_s
    return max(0.0, min(default_s, remaining))
