"""How a gRPC server says it is, in one word, from its standard `grpc.health.v1` service."""

from __future__ import annotations

import grpc.aio
from grpc_health.v1 import health_pb2, health_pb2_grpc


async def serving_status(channel: grpc.aio.Channel, timeout_s: float) -> str:
    """SERVING or NOT_SERVING, or the failed call's code (UNAVAILABLE, DEADLINE_EXCEEDED...)."""
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout_s)
    except grpc.aio.AioRpcError as error:
        return str(error.code().name)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


async def replica_status(address: str, timeout_s: float) -> str:
    """The health of the one process at `address` (host:port), on a channel of its own."""
    async with grpc.aio.insecure_channel(address) as channel:
        return await serving_status(channel, timeout_s)
