"""Waiting for eventually-consistent effects in tests: poll with a deadline, never a fixed sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], Awaitable[bool]], within_s: float = 10.0, *, what: str = "condition"
) -> None:
    """Returns as soon as `check()` is true; fails the test if it is still false at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met within {within_s}s")
        await asyncio.sleep(0.02)
