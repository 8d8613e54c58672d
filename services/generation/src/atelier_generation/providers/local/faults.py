"""Failures a test or a demo injects into the local provider through the input itself.

A marker `[fail:KIND]` anywhere in the prompt or in any other text param makes the job fail that
way, so the whole saga (retries, rollbacks, timeouts) can be exercised without a real provider.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from typing import Any

_MARKER = re.compile(r"\[fail:([a-z-]+)\]")


class InjectedFault(enum.StrEnum):
    """What a marker asks for; the first four are refused at submit, like a provider's 4xx."""

    INPUT = "input"  # submit refused: invalid input (user fault)
    RATE_LIMIT = "rate-limit"  # submit refused: 429 with a retry-after hint (provider fault)
    QUOTA = "quota"  # submit refused: our account is out of quota (provider fault)
    AUTH = "auth"  # submit refused: our key is refused (provider fault)
    PROVIDER = "provider"  # the job fails while running: a provider error (provider fault)
    POLICY = "policy"  # the job fails while running: content policy (user fault)
    TIMEOUT = "timeout"  # the job runs forever, until the caller's deadline cancels it


AT_SUBMIT = frozenset(
    {InjectedFault.INPUT, InjectedFault.RATE_LIMIT, InjectedFault.QUOTA, InjectedFault.AUTH}
)


def injected_fault(params: Mapping[str, Any]) -> InjectedFault | None:
    """The first known marker in any text of the params, or None."""
    for text in _texts(params):
        for kind in _MARKER.findall(text):
            try:
                return InjectedFault(kind)
            except ValueError:
                continue
    return None


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
