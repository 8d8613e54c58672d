"""The health of backend replicas, each asked directly rather than through a balanced channel."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from atelier_runtime.grpc_health_check import replica_status

HEALTH_TIMEOUT_S = 1.0


def replica_health(addresses: Sequence[str], timeout_s: float = HEALTH_TIMEOUT_S) -> list[str]:
    """One word per address (SERVING, NOT_SERVING, UNAVAILABLE...), asked all at once."""

    async def ask_all() -> list[str]:
        return list(await asyncio.gather(*(replica_status(a, timeout_s) for a in addresses)))

    return asyncio.run(ask_all())
