"""A failing service's log, quoted in words: its last few entries, not raw JSON."""

from __future__ import annotations

import json

from atelier_cli.readable_log import readable_lines


def entry(level: str, message: str, **extra: str) -> str:
    return json.dumps({"ts": "2030-01-01T00:00:00Z", "level": level, "message": message, **extra})


def test_json_entries_become_level_and_message() -> None:
    text = "\n".join([entry("INFO", "starting"), entry("ERROR", "could not bind")])

    assert readable_lines(text) == ["INFO starting", "ERROR could not bind"]


def test_an_error_shows_the_last_line_of_its_traceback() -> None:
    traceback = 'Traceback (most recent call last):\n  File "x.py"\nOSError: [Errno 98] in use'

    line = entry("ERROR", "service failed", exc_info=traceback)

    assert readable_lines(line) == ["ERROR service failed: OSError: [Errno 98] in use"]


def test_only_the_last_few_lines_are_kept_and_plain_text_stays_as_it_is() -> None:
    text = "\n".join([entry("INFO", f"line {n}") for n in range(30)] + ["", "plain words"])

    assert readable_lines(text, lines=3) == ["INFO line 28", "INFO line 29", "plain words"]
