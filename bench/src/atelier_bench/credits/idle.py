"""Waits until the servers are quiet, so one side's leftover work never runs in the other's slice.

Our service relays and projects its events in the background; whatever backlog one of its slices
leaves must not steal CPU from the baseline's next slice (nor PostgreSQL's checkpoints either way).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import psutil

# A tenth of one core: background polls stay below it, real work does not.
QUIET_SHARE_OF_A_CORE = 0.10
WINDOW_S = 0.3
SETTLE_TIMEOUT_S = 30.0


def _cpu_seconds(roots: Sequence[int]) -> dict[int, float]:
    """CPU time used so far by each process of the given trees (PostgreSQL forks per connection)."""
    used: dict[int, float] = {}
    for pid in roots:
        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for process in tree:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            used[process.pid] = times.user + times.system
    return used


async def wait_until_idle(roots: Sequence[int], *, timeout_s: float = SETTLE_TIMEOUT_S) -> bool:
    """True once a whole window passes with the trees below the quiet share; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = _cpu_seconds(roots)
        await asyncio.sleep(WINDOW_S)
        after = _cpu_seconds(roots)
        # Only processes alive at both samples count: one that exited has nothing left to run.
        busy = sum(max(0.0, after[pid] - before[pid]) for pid in after.keys() & before.keys())
        if busy < QUIET_SHARE_OF_A_CORE * WINDOW_S:
            return True
    return False
