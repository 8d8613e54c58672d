"""A mutation plan: one hostile value in one field of a request.

A plan is independent of any particular baseline instance, so a caller's baseline factory can hand
out fresh ids for every case and the same plan still applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from atelier_testing.grpc_fuzzer.values import Hostile

# (field name, None) enters a singular message field; (field name, 0) its repeated first element.
Step = tuple[str, int | None]
Apply = Callable[[Message, Any], None]
WHOLE_REQUEST = "(request)"


@dataclass(frozen=True)
class Plan:
    """Go along `steps` from the request, then `apply` the hostile value to the message there."""

    path: str
    steps: tuple[Step, ...]
    hostile: Hostile
    apply: Apply

    def mutate(self, request: Message) -> None:
        self.apply(navigate(request, self.steps), self.hostile.make())


def navigate(message: Message, steps: tuple[Step, ...]) -> Message:
    """The sub-message the steps lead to, created on the way if the baseline left it out."""
    for name, index in steps:
        message = _enter(getattr(message, name), index)
    return message


def _enter(value: Any, index: int | None) -> Message:
    if index is None:
        return value  # type: ignore[no-any-return]
    return value[index] if len(value) > index else value.add()  # type: ignore[no-any-return]


def setter(name: str) -> Apply:
    return lambda message, value: setattr(message, name, value)
