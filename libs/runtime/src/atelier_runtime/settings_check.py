"""Checks the environment against several services' settings at once, without starting any.

`python -m atelier_runtime.settings_check module:Class ...` prints one line per problem (each
once, however many services read the variable) and exits 2, or exits 0 when all would start.
`atelier up` runs it before it starts anything, so a bad value stops it with nothing to undo.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from pydantic_settings import BaseSettings

from atelier_runtime.settings import EXIT_BAD_SETTINGS, SettingsError, load_settings


def settings_class(path: str) -> type[BaseSettings]:
    """The class `path` ("package.module:Class") names."""
    module, _, name = path.partition(":")
    found = getattr(importlib.import_module(module), name)
    if not (isinstance(found, type) and issubclass(found, BaseSettings)):
        raise TypeError(f"{path} is not a settings class")
    return found


def problems_of(classes: Sequence[type[BaseSettings]]) -> list[str]:
    """Every problem the environment has for any of `classes`, each named once, in order."""
    problems: dict[str, None] = {}
    for cls in classes:
        try:
            load_settings(cls)
        except SettingsError as error:
            problems.update(dict.fromkeys(error.problems))
    return list(problems)


def main(argv: Sequence[str]) -> int:
    problems = problems_of([settings_class(path) for path in argv])
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_BAD_SETTINGS if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
