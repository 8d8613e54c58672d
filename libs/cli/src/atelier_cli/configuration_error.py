"""Bad configuration or usage: reported as one line per problem, with exit status 2."""

from __future__ import annotations

EXIT_USAGE = 2


class ConfigurationError(Exception):
    """What is wrong, one problem per line, each naming the variable or argument and the form."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
