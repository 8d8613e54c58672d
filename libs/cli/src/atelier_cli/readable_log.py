"""The last lines of a service's log as a person reads them, not as JSON."""

from __future__ import annotations

import json
from pathlib import Path

TAIL_LINES = 5


def readable_tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The file's last `lines` entries in words; none when it cannot be read."""
    try:
        return readable_lines(path.read_text(errors="replace"), lines)
    except OSError:
        return []


def readable_lines(text: str, lines: int = TAIL_LINES) -> list[str]:
    """The last `lines` entries, each on one line: level, message, and an error's last line."""
    return [_readable(line) for line in text.splitlines() if line.strip()][-lines:]


def _readable(line: str) -> str:
    try:
        entry = json.loads(line)
    except ValueError:
        return line.rstrip()  # printed before logging was set up, or by a server binary
    if not isinstance(entry, dict):
        return line.rstrip()
    text = f"{entry.get('level', '')} {entry.get('message', '')}".strip()
    error = str(entry.get("exc_info") or "").strip().splitlines()
    # A traceback's last line names the exception and its message; the rest is in the file.
    return f"{text}: {error[-1]}" if error else text
