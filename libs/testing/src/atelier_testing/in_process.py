"""Runs a service's real composition root inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from atelier_runtime.service import BuildApp, serve
from atelier_runtime.settings import SettingsT

START_DEADLINE_S = 30.0


@contextlib.asynccontextmanager
async def serving(settings: SettingsT, build: BuildApp[SettingsT]) -> AsyncIterator[str]:
    """Serves until the block ends, then stops as on SIGTERM; yields the address it listens on."""
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, build, ready=ready.set_result))
    try:
        port = await asyncio.wait_for(asyncio.shield(ready), START_DEADLINE_S)
        yield f"127.0.0.1:{port}"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
