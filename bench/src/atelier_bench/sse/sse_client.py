"""A lean SSE client on raw asyncio streams (thousands fit in one process): one GET, the chunked
body decoded by hand, each event timed on arrival."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime

TERMINAL = frozenset({"succeeded", "failed", "canceled"})


@dataclass(frozen=True)
class Arrival:
    id: str
    kind: str
    occurred_at: float  # the generation's recorded change, epoch seconds
    received_at: float
    snapshot: bool


@dataclass
class Follower:
    """One client following one generation to its end."""

    generation_id: str
    account: str
    arrivals: list[Arrival] = field(default_factory=list)
    error: str = ""
    heartbeats: int = 0
    reconnects: int = 0

    @property
    def finished(self) -> bool:
        return bool(self.arrivals) and self.arrivals[-1].kind in TERMINAL

    async def follow(self, host: str, port: int, account_header: str, attempts: int = 5) -> None:
        """Follows to the end; like EventSource, reconnects with the last id it saw."""
        for attempt in range(attempts):
            self.error = ""
            await self._once(host, port, account_header)
            if self.finished or attempt == attempts - 1:
                return
            self.reconnects += 1
            await asyncio.sleep(1.0)

    async def _once(self, host: str, port: int, account_header: str) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as error:
            self.error = f"connect: {error}"
            return
        try:
            resume = f"Last-Event-ID: {self.arrivals[-1].id}\r\n" if self.arrivals else ""
            request = (
                f"GET /v1/generations/{self.generation_id}/events HTTP/1.1\r\nHost: {host}\r\n"
                f"{account_header}: {self.account}\r\n{resume}Accept: text/event-stream\r\n\r\n"
            )
            writer.write(request.encode())
            await self._read(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.error = f"{type(error).__name__}: {error}"
        finally:
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        if status != b"200":
            raise ValueError(f"status {status.decode()}")
        if b"transfer-encoding: chunked" not in head.lower():
            raise ValueError("expected a chunked stream")
        pending = b""
        while not self.finished:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                raise ValueError("the stream ended before its terminal event")
            pending += (await reader.readexactly(size + 2))[:-2]
            *frames, pending = pending.split(b"\n\n")
            for frame in frames:
                self._frame(frame.decode())

    def _frame(self, text: str) -> None:
        received_at = time.time()
        if text.startswith(":"):
            self.heartbeats += 1
            return
        fields = dict(line.split(": ", 1) for line in text.split("\n") if ": " in line)
        data = json.loads(fields.get("data", "{}"))
        occurred = data.get("occurred_at", "")
        self.arrivals.append(
            Arrival(
                id=fields.get("id", ""),
                kind=fields.get("event", ""),
                occurred_at=_epoch(occurred),
                received_at=received_at,
                snapshot=bool(data.get("snapshot")),
            )
        )


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() if iso else 0.0
