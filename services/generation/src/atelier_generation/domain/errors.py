"""The generation domain's typed failures; plain metadata only, the api layer adds proto details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from atelier_runtime.errors import InvalidArgument

# How much of a refused value a message repeats: enough to recognise it, never a payload.
SHOWN = 64
# The violations a message lists in full; the BadRequest detail carries each of them anyway.
MAX_LISTED = 600


def shown(value: object) -> str:
    """`repr(value)`, cut to about SHOWN characters so an error never echoes a huge input."""
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}… ({len(text)} characters)"


class CatalogueProblem(Exception):
    """The catalogue is wrong at one key path (e.g. `tools[2].models[0].cost.per_second`)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.where = where
        self.reason = reason


class InvalidInput(InvalidArgument):
    """A malformed request field (an id, the params text), named so the caller can fix it."""

    def __init__(self, field: str, problem: str, *, reason: str = "INVALID_INPUT") -> None:
        super().__init__(f"{field}: {problem}", reason=reason, metadata={"field": field})


class UnknownTool(InvalidArgument):
    """A tool id the catalogue does not offer."""

    def __init__(self, tool_id: str) -> None:
        super().__init__(
            f"tool: no tool {shown(tool_id)} in the catalogue",
            reason="UNKNOWN_TOOL",
            metadata={"field": "tool"},
        )


class UnknownModel(InvalidArgument):
    """A model id the chosen tool does not offer."""

    def __init__(self, tool_id: str, model_id: str) -> None:
        super().__init__(
            f"model: tool {tool_id!r} has no model {shown(model_id)}",
            reason="UNKNOWN_MODEL",
            metadata={"field": "model", "tool": tool_id},
        )


@dataclass(frozen=True)
class FieldViolation:
    """One reason the params break the model's input schema, e.g. `params.duration`: too long."""

    field: str
    description: str


class InvalidParams(InvalidArgument):
    """Params that break the model's input schema; `violations` names every field at fault."""

    def __init__(self, violations: Sequence[FieldViolation]) -> None:
        listed = "; ".join(f"{v.field}: {v.description}" for v in violations)
        if len(listed) > MAX_LISTED:
            listed = listed[:MAX_LISTED] + "…"
        super().__init__(
            f"invalid params: {listed}",
            reason="INVALID_PARAMS",
            metadata={"field": violations[0].field, "violations": str(len(violations))},
        )
        self.violations = tuple(violations)
