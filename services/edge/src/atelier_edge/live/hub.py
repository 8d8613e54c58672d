"""Fans generation events out to this process's open streams, keeping a short history per
generation so a stream can resume where it stopped. No I/O and no asyncio: the bus feed calls
`publish`, each open stream `attach`es a sink.

Coverage: the hub knows every event after stream sequence `start` (where its subscription began)
except what it evicted. A generation's `floor` is the sequence after which all of its events are
still held; a resume from a cursor at or past the floor is served from the history, any older one
needs a snapshot first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from atelier_edge.live.events import Cursor, LiveEvent


class Sink(Protocol):
    """One open stream's inbox; `offer` answers False when it is full (the client is too slow)."""

    def offer(self, event: LiveEvent) -> bool: ...


@dataclass(frozen=True)
class HistoryLimits:
    generations: int = 10_000
    events_per_generation: int = 64
    max_age_s: float = 600.0


@dataclass
class _History:
    floor: int
    touched: float
    events: deque[LiveEvent] = field(default_factory=deque)
    terminal_seq: int | None = None


@dataclass(frozen=True)
class Attachment:
    """What a stream starts with: `covered` False means a snapshot must come first; `backlog`
    holds the held events after the cursor; `ended` means the terminal event is at or before it."""

    covered: bool
    backlog: tuple[LiveEvent, ...]
    cursor: Cursor
    ended: bool


class ProgressHub:
    def __init__(
        self, limits: HistoryLimits = HistoryLimits(), clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._start: int | None = None
        self._position = 0
        self._forgotten = 0  # the newest sequence of any generation evicted whole
        self._histories: OrderedDict[str, _History] = OrderedDict()
        self._sinks: dict[str, set[Sink]] = {}
        self.dropped_slow = 0

    @property
    def live(self) -> bool:
        return self._start is not None

    @property
    def position(self) -> int:
        """The stream sequence of the newest event seen."""
        return self._position

    @property
    def streams(self) -> int:
        return sum(len(sinks) for sinks in self._sinks.values())

    def begin(self, after_seq: int) -> None:
        """The subscription delivers every event after `after_seq` from now on."""
        if self._start is None:
            self._start = after_seq
            self._position = max(self._position, after_seq)

    def skip(self, seq: int) -> None:
        """A message that is no generation event still moves the position."""
        self._position = max(self._position, seq)

    def publish(self, event: LiveEvent) -> int:
        """Records `event` and hands it to the generation's streams; returns how many took it."""
        if self._start is None or event.seq <= self._position:
            return 0  # before the subscription began, or a redelivery
        self._position = event.seq
        self._remember(event)
        sinks = self._sinks.get(event.generation_id, set())
        taken = 0
        for sink in list(sinks):
            if sink.offer(event):
                taken += 1
            else:
                # It resumes with its Last-Event-ID; holding events for it would grow memory.
                sinks.discard(sink)
                self.dropped_slow += 1
        if not sinks:
            self._sinks.pop(event.generation_id, None)
        return taken

    def attach(self, generation_id: str, sink: Sink, cursor: Cursor | None) -> Attachment:
        """Registers `sink` and says what the stream sends before live events; atomic with
        respect to `publish`, so nothing falls between the backlog and the first live event."""
        self._sinks.setdefault(generation_id, set()).add(sink)
        if cursor is None or self._start is None or cursor.seq < self._floor(generation_id):
            return Attachment(False, (), Cursor(self._position), False)
        history = self._histories.get(generation_id)
        held = history.events if history else ()
        backlog = tuple(e for e in held if cursor.admits(e))
        terminal = history.terminal_seq if history else None
        return Attachment(True, backlog, cursor, terminal is not None and terminal <= cursor.seq)

    def detach(self, generation_id: str, sink: Sink) -> None:
        sinks = self._sinks.get(generation_id)
        if sinks is not None:
            sinks.discard(sink)
            if not sinks:
                del self._sinks[generation_id]

    def _floor(self, generation_id: str) -> int:
        assert self._start is not None
        history = self._histories.get(generation_id)
        return max(self._start, history.floor if history else self._forgotten)

    def _remember(self, event: LiveEvent) -> None:
        now = self._clock()
        history = self._histories.get(event.generation_id)
        if history is None:
            history = _History(floor=max(self._start or 0, self._forgotten), touched=now)
            self._histories[event.generation_id] = history
        history.touched = now
        self._histories.move_to_end(event.generation_id)
        history.events.append(event)
        if event.terminal:
            history.terminal_seq = event.seq
        if len(history.events) > self._limits.events_per_generation:
            history.floor = history.events.popleft().seq
        self._evict(now)

    def _evict(self, now: float) -> None:
        limits = self._limits
        while self._histories:
            generation_id, oldest = next(iter(self._histories.items()))
            too_many = len(self._histories) > limits.generations
            if not too_many and now - oldest.touched <= limits.max_age_s:
                return
            del self._histories[generation_id]
            self._forgotten = max(self._forgotten, oldest.events[-1].seq)
