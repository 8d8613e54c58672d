"""A provider's cool-down, decided from its recent outcomes alone (no I/O; the clock is given).

closed: calls pass; outcomes are kept for `window_s`. When the failures in the window reach
both `min_failures` and `failure_ratio` of the calls, it opens. open: no call passes until
`cooldown_s` has passed, then half-open: one call (the probe) passes; its success closes the
breaker with a clean window, its failure opens it again for another cool-down.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable

from atelier_generation.providers.routing.config import BreakerPolicy

Clock = Callable[[], float]


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, policy: BreakerPolicy, clock: Clock) -> None:
        self._policy = policy
        self._clock = clock
        self._outcomes: deque[tuple[float, bool]] = deque()  # (when, failed)
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self._policy.cooldown_s:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allow(self) -> bool:
        """Whether a call may go to the provider now; in half-open, only the one probe does."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def succeeded(self) -> None:
        if self._opened_at is not None:
            if self.state is BreakerState.OPEN:
                return  # a call from before the trip answered late: no news
            self._opened_at = None
            self._outcomes.clear()
        self._probing = False
        self._add(failed=False)

    def failed(self) -> None:
        if self._opened_at is not None:
            if self.state is BreakerState.HALF_OPEN and self._probing:
                self.trip()
            return
        self._add(failed=True)
        failures = sum(1 for _, failed in self._outcomes if failed)
        ratio = failures / len(self._outcomes)
        if failures >= self._policy.min_failures and ratio >= self._policy.failure_ratio:
            self.trip()

    def abandoned(self) -> None:
        """A call that ended without a verdict (canceled): the probe's turn goes to the next."""
        self._probing = False

    def trip(self) -> None:
        """Opens at once: the provider said no request can succeed (out of credits, our key)."""
        self._opened_at = self._clock()
        self._probing = False

    def _add(self, *, failed: bool) -> None:
        now = self._clock()
        self._outcomes.append((now, failed))
        while self._outcomes and self._outcomes[0][0] <= now - self._policy.window_s:
            self._outcomes.popleft()
