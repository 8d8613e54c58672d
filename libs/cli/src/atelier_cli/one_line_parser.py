"""An argument parser whose every error is one line and exit status 2."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from atelier_cli.configuration_error import EXIT_USAGE


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the usage block before the error; a person needs the error and where to look.

    Sub-parsers are made of the same class, so `atelier credits grant` errors look the same.
    """

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)
