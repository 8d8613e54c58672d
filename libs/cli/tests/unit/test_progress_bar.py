"""The progress bar: redrawn in place on a terminal, a line per tenth in logs, quiet when short."""

from __future__ import annotations

import io

from atelier_cli.progress_bar import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_bar_redrawn_in_place_and_ended_with_a_newline() -> None:
    terminal = Terminal()
    bar = ProgressBar("events", terminal)

    for done in range(1, 6):
        bar.update(done, 5)
    bar.close()

    output = terminal.getvalue()
    assert output.startswith("\r[")
    assert output.endswith(f"[{'#' * 30}] 5/5 events\n")


def test_a_log_gets_one_line_per_tenth_of_a_long_run() -> None:
    log = io.StringIO()
    bar = ProgressBar("events", log, long=100)

    for done in range(1, 1001):
        bar.update(done, 1000)
    bar.close()

    lines = log.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1].endswith("1000/1000 events")
    assert "\r" not in log.getvalue()


def test_a_short_run_prints_nothing_outside_a_terminal() -> None:
    log = io.StringIO()
    bar = ProgressBar("events", log, long=100)

    for done in range(1, 51):
        bar.update(done, 50)
    bar.close()

    assert log.getvalue() == ""
