"""Keeps long-running loops stoppable when a library swallows their cancellation."""

from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raises CancelledError when the current task was asked to stop.

    nats-py waits for replies with asyncio.wait_for, which on Python 3.11 can swallow a
    cancellation; the request stays counted on the task, so a loop that checks this at the top
    of every round still stops instead of running on through shutdown.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
