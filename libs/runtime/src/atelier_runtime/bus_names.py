"""Stream and subject names: `atelier.<service>.<event>`, one stream per producing service."""

from __future__ import annotations

import re
from dataclasses import dataclass

# One subject token: no dots, wildcards or whitespace, and safe inside a stream name.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


def _check_token(kind: str, value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError(f"{kind} must be letters, digits, '_' or '-', got {value!r}")
    return value


@dataclass(frozen=True)
class BusNames:
    """Names on the bus, optionally under a prefix that isolates one deployment or one test."""

    prefix: str = ""

    def __post_init__(self) -> None:
        if self.prefix:
            _check_token("prefix", self.prefix)

    def stream(self, service: str) -> str:
        name = _check_token("service", service).upper()
        return f"{self.prefix}_{name}" if self.prefix else name

    def subject(self, service: str, event: str) -> str:
        """`event` may hold several dot-separated tokens (`fallback_due.<media id>`)."""
        for token in event.split("."):
            _check_token("event token", token)
        return f"{self._root(service)}.{event}"

    def subjects(self, service: str) -> str:
        """The wildcard that a service's stream captures."""
        return f"{self._root(service)}.>"

    def _root(self, service: str) -> str:
        root = f"atelier.{_check_token('service', service)}"
        return f"{self.prefix}.{root}" if self.prefix else root
