"""Asks each backend's standard gRPC health service whether it is SERVING."""

from __future__ import annotations

import asyncio

from atelier_runtime.grpc_client import balanced_channel
from atelier_runtime.grpc_health_check import serving_status


class HealthProbe:
    """One long-lived balanced channel per backend; a probe is one Check call with a short deadline.

    The channel skips replicas that are not SERVING, so a backend counts as ready while any of its
    replicas is.
    """

    def __init__(self, addresses: dict[str, str], timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._channels = {
            name: balanced_channel(value, variable=f"ATELIER_{name.upper()}_ADDR")
            for name, value in addresses.items()
        }

    async def statuses(self) -> dict[str, str]:
        names = list(self._channels)
        results = await asyncio.gather(
            *(serving_status(self._channels[n], self._timeout_s) for n in names)
        )
        return dict(zip(names, results, strict=True))

    async def close(self) -> None:
        await asyncio.gather(*(channel.close() for channel in self._channels.values()))
