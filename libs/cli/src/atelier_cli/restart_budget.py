"""How often a crashed process may be restarted: a few times per minute, not a few per lifetime.

A service that crashes now and then, hours apart, is restarted every time; one that crashes
again and again within a minute is failing for a reason a restart does not fix.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_RESTARTS = 5
WINDOW_S = 60.0


class RestartBudget:
    """At most `limit` restarts of each process within any `window_s` seconds."""

    def __init__(
        self,
        limit: int = MAX_RESTARTS,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._restarts: dict[str, deque[float]] = {}

    def allow(self, name: str) -> bool:
        """Whether `name` may restart now; a restart allowed is counted against the window."""
        now = self._clock()
        recent = self._restarts.setdefault(name, deque())
        while recent and recent[0] <= now - self.window_s:
            recent.popleft()
        if len(recent) >= self.limit:
            return False
        recent.append(now)
        return True
