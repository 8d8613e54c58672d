"""Every `./command` the README tells a newcomer to run exists in a fresh clone and can run."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# `./atelier up`, `./uv run …`: a command at the start of a line, or quoted inline.
_COMMAND = re.compile(r"(?:^|`)\./([A-Za-z0-9_-]+)(?=[ `\n])", re.MULTILINE)


def readme_commands() -> set[str]:
    return set(_COMMAND.findall((ROOT / "README.md").read_text()))


def test_the_readme_names_its_commands() -> None:
    assert {"atelier", "test", "uv"} <= readme_commands()


def test_each_command_is_an_executable_file_in_the_repository_root() -> None:
    for name in readme_commands():
        path = ROOT / name
        assert path.is_file(), f"the README runs ./{name}, which does not exist"
        assert os.access(path, os.X_OK), f"./{name} is not executable"
