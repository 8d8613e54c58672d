"""Jobs a provider runs for this process at once: a slot per generation, from its submit to the
end of its job (or until this process stops driving it)."""

from __future__ import annotations

import asyncio


class JobSlots:
    """At most `limit` holders at once; a holder is a generation id, so taking a slot twice for
    the same generation (a resumed step) holds one slot."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._holders: set[str] = set()
        self._freed = asyncio.Condition()

    @property
    def held(self) -> int:
        return len(self._holders)

    async def take(self, holder: str) -> None:
        """Waits for a free slot (first come, first served is not promised)."""
        async with self._freed:
            await self._freed.wait_for(
                lambda: holder in self._holders or len(self._holders) < self._limit
            )
            self._holders.add(holder)

    def occupy(self, holder: str) -> None:
        """Counts a job already running at the provider (a resumed one) without waiting: it
        runs whether we count it or not, and it keeps later submits waiting."""
        self._holders.add(holder)

    async def release(self, holder: str) -> None:
        async with self._freed:
            if holder in self._holders:
                self._holders.discard(holder)
                self._freed.notify_all()
