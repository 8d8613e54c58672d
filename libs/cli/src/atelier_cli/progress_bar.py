"""A one-line progress bar on stderr for long operator commands."""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30
_REDRAW_EVERY = 0.1  # seconds: redrawing on every item would cost more than the work
_LONG = 1000


class ProgressBar:
    """`[######        ] 1234/5678 events`: redrawn in place on a terminal; elsewhere (logs,
    CI) one line per tenth, and only for long runs, so short runs print nothing."""

    def __init__(self, unit: str, stream: TextIO | None = None, *, long: int = _LONG) -> None:
        self._unit = unit
        self._stream = stream if stream is not None else sys.stderr
        self._long = long
        self._interactive = self._stream.isatty()
        self._last_draw = 0.0
        self._last_tenth = 0
        self._drawn = False

    def update(self, done: int, total: int) -> None:
        """Shows `done` of `total`; cheap to call after every item."""
        if self._interactive:
            now = time.monotonic()
            if done >= total or now - self._last_draw >= _REDRAW_EVERY:
                self._last_draw = now
                self._write("\r" + self._bar(done, total))
        elif total > self._long:
            tenth = done * 10 // total
            if tenth > self._last_tenth:
                self._last_tenth = tenth
                self._write(self._bar(done, total) + "\n")

    def close(self) -> None:
        """Ends the bar's line on a terminal, so what follows starts on its own line."""
        if self._interactive and self._drawn:
            self._write("\n")

    def _bar(self, done: int, total: int) -> str:
        filled = _WIDTH * done // total if total else _WIDTH
        return f"[{'#' * filled}{' ' * (_WIDTH - filled)}] {done}/{total} {self._unit}"

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()
        self._drawn = True
