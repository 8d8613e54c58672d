"""Asks a backend's standard gRPC health service whether it is SERVING."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


class HealthProbe:
    """One long-lived channel per backend; a probe is one Check call with a short deadline."""

    def __init__(self, addresses: dict[str, str], timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._channels = {name: grpc.aio.insecure_channel(addr) for name, addr in addresses.items()}

    async def _status(self, channel: grpc.aio.Channel) -> str:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=self._timeout_s)
        except grpc.aio.AioRpcError as error:
            return error.code().name
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    async def statuses(self) -> dict[str, str]:
        names = list(self._channels)
        results = await asyncio.gather(*(self._status(self._channels[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def close(self) -> None:
        await asyncio.gather(*(channel.close() for channel in self._channels.values()))
