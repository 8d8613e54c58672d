"""Wake-ups for drivers waiting on a provider job, when a callback brought news of it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator


class Nudges:
    """The drivers of this process waiting on each generation. A nudge only hurries them: they
    also poll, and their polls read the recorded news, so a lost nudge costs time, never work."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._idle: list[Callable[[], None]] = []

    def also_wake(self, wake: Callable[[], None]) -> None:
        """Wakes idle workers too: a generation whose lease is free is claimed sooner."""
        self._idle.append(wake)

    @contextlib.contextmanager
    def watch(self, generation_id: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiting.setdefault(generation_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(generation_id, set())
            waiting.discard(event)
            if not waiting:
                self._waiting.pop(generation_id, None)

    def nudge(self, generation_id: str) -> None:
        for event in self._waiting.get(generation_id, ()):
            event.set()
        for wake in self._idle:
            wake()
