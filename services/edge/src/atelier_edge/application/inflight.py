"""A cap on the generation POSTs one account has in this process at once.

Generation caps the jobs an account runs; this caps the requests an account can hold open at the
edge, so one account's burst cannot take every worker while the backends answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class TooManyInFlight(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"at most {cap} generation requests of one account at once")
        self.cap = cap


class InflightLimit:
    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._counts: Counter[str] = Counter()

    @contextmanager
    def slot(self, account_id: str) -> Iterator[None]:
        if self._counts[account_id] >= self._cap:
            raise TooManyInFlight(self._cap)
        self._counts[account_id] += 1
        try:
            yield
        finally:
            self._counts[account_id] -= 1
            if not self._counts[account_id]:
                del self._counts[account_id]
