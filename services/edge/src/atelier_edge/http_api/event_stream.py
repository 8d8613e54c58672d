"""One open stream: its bounded inbox, and the frames it writes (snapshot or backlog first, then
live events, a heartbeat comment when idle, and nothing after the terminal event)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from atelier.generation.v1 import generation_pb2 as pb
from atelier_edge.live.decoding import snapshot
from atelier_edge.live.events import Cursor, LiveEvent
from atelier_edge.live.hub import Attachment, ProgressHub
from atelier_edge.live.stream_metrics import StreamMetrics

HEARTBEAT = b": keep-alive\n\n"
_ENDED = {
    pb.GENERATION_STATUS_SUCCEEDED,
    pb.GENERATION_STATUS_FAILED,
    pb.GENERATION_STATUS_CANCELED,
}


class StreamInbox:
    """Events waiting to be written to one client; full means the client is not reading."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._events: deque[LiveEvent] = deque()
        self._ready = asyncio.Event()
        self.overflowed = False

    def offer(self, event: LiveEvent) -> bool:
        if len(self._events) >= self._capacity:
            self.overflowed = True
            self._ready.set()
            return False
        self._events.append(event)
        self._ready.set()
        return True

    async def take(self, wait_s: float) -> list[LiveEvent] | None:
        """What arrived (waiting up to `wait_s` for something), or None after a quiet wait."""
        if not self._events and not self.overflowed:
            try:
                async with asyncio.timeout(wait_s):
                    await self._ready.wait()
            except TimeoutError:
                return None
        self._ready.clear()
        taken = list(self._events)
        self._events.clear()
        return taken


@dataclass(frozen=True)
class OpenStream:
    hub: ProgressHub
    metrics: StreamMetrics
    generation_id: str
    inbox: StreamInbox
    attached: Attachment
    generation: pb.Generation
    heartbeat_s: float

    async def frames(self) -> AsyncIterator[bytes]:
        self.metrics.opened()
        try:
            async for frame in self._frames():
                yield frame
        finally:
            # A closed connection only stops the stream: the generation goes on.
            self.hub.detach(self.generation_id, self.inbox)
            self.metrics.closed()

    async def _frames(self) -> AsyncIterator[bytes]:
        cursor, first, ended = self._opening()
        if first:
            yield first
        while not ended:
            taken = await self.inbox.take(self.heartbeat_s)
            if self.inbox.overflowed:
                return  # the client resumes with its Last-Event-ID
            if taken is None:
                yield HEARTBEAT
                continue
            chunk, cursor, ended = _admitted(taken, cursor)
            if chunk:
                self.metrics.delivered(chunk.count(b"\nevent: "))
                yield chunk

    def _opening(self) -> tuple[Cursor, bytes, bool]:
        """What goes first: a snapshot when the resume point is not held, else the held backlog
        (and, should the generation have ended without its terminal event held, the snapshot)."""
        attached = self.attached
        if not attached.covered:
            return _snapshot(self.generation, attached.cursor)
        chunk, cursor, ended = _admitted(list(attached.backlog), attached.cursor)
        self.metrics.delivered(chunk.count(b"\nevent: "))
        if not ended and self.generation.status in _ENDED:
            cursor, frame, ended = _snapshot(self.generation, cursor)
            chunk += frame
        return cursor, chunk, ended


def _snapshot(g: pb.Generation, after: Cursor) -> tuple[Cursor, bytes, bool]:
    frame, cursor, ended = snapshot(g, after.seq)
    return cursor, frame, ended


def _admitted(events: list[LiveEvent], cursor: Cursor) -> tuple[bytes, Cursor, bool]:
    """The frames of the events the cursor has not passed, up to a terminal one."""
    chunk = bytearray()
    for event in events:
        if cursor.admits(event):
            chunk += event.frame
            cursor = cursor.past(event)
            if event.terminal:
                return bytes(chunk), cursor, True
    return bytes(chunk), cursor, False
