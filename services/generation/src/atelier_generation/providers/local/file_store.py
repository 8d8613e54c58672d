"""The local provider's output files: on disk, behind random tokens, gone after their TTL.

Like a provider's CDN, a URL works until it expires and then answers 404. The folder is bounded
by `max_bytes`: adding a file past it removes the oldest ones first, so a busy development
machine (or a pod's small /tmp) never fills up.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Clock = Callable[[], float]


@dataclass(frozen=True)
class StoredFile:
    """One output: where it lies, what it is, and when its URL stops working (epoch seconds)."""

    token: str
    path: Path
    content_type: str
    size: int
    expires_at: float


class OutputFiles:
    """Files under one folder, by token; every method runs on the event loop's thread."""

    def __init__(self, folder: Path, *, ttl_s: float, max_bytes: int, clock: Clock = time.time):
        self.folder = folder
        self._ttl_s = ttl_s
        self._max_bytes = max_bytes
        self._clock = clock
        self._files: OrderedDict[str, StoredFile] = OrderedDict()  # oldest first
        self._bytes = 0

    def new_path(self, suffix: str) -> Path:
        """A fresh path in the folder for a renderer to write, before `add` publishes it."""
        return self.folder / f"work-{secrets.token_hex(8)}{suffix}"

    def add(self, written: Path, content_type: str) -> StoredFile:
        """Publishes a written file under a new token; the oldest files go if space runs out."""
        size = written.stat().st_size
        if size > self._max_bytes:
            written.unlink(missing_ok=True)
            raise OutputTooLarge(f"an output of {size:,} bytes exceeds {self._max_bytes:,}")
        self.sweep()
        while self._files and self._bytes + size > self._max_bytes:
            self._remove(next(iter(self._files)))
        token = secrets.token_urlsafe(24)
        final = written.with_name(token + written.suffix)
        written.rename(final)
        stored = StoredFile(token, final, content_type, size, self._clock() + self._ttl_s)
        self._files[token] = stored
        self._bytes += size
        return stored

    def find(self, token: str) -> StoredFile | None:
        """The file behind `token`, or None once it expired (or never existed)."""
        stored = self._files.get(token)
        if stored is None or stored.expires_at <= self._clock():
            return None
        return stored

    def sweep(self) -> int:
        """Deletes expired files; returns how many."""
        now = self._clock()
        expired = [token for token, stored in self._files.items() if stored.expires_at <= now]
        for token in expired:
            self._remove(token)
        return len(expired)

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def _remove(self, token: str) -> None:
        stored = self._files.pop(token)
        self._bytes -= stored.size
        stored.path.unlink(missing_ok=True)


class OutputTooLarge(Exception):
    """A single output larger than the whole folder may hold."""
