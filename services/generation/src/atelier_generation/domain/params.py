"""Params checked against a model's input schema (JSON Schema 2020-12), with field-level errors.

jsonschema's own messages quote the offending value, which may be 64 KB of a hostile string;
every problem is described here instead from the rule that failed, never from the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from atelier_generation.domain.errors import FieldViolation, InvalidParams, shown

# Enough to fix a request in one go; a flood of violations would only echo a hostile input.
MAX_VIOLATIONS = 8
ROOT = "params"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def field_path(path: Iterable[object]) -> str:
    """`params.items[2].url`; keys that are not plain names are quoted, cut short, escaped."""
    text = ROOT
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.match(part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(str(part)[:32])}{'…' if len(str(part)) > 32 else ''}]"
    return text


class InputValidator:
    """Checks params against one model's input schema; the schema was checked at start."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self._validator = Draft202012Validator(schema)

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The params with the schema's top-level defaults filled in; InvalidParams if they break it."""
        found = self.violations(params)
        if found:
            raise InvalidParams(found)
        return with_defaults(self._schema, params)

    def violations(self, params: Mapping[str, Any]) -> list[FieldViolation]:
        found: list[FieldViolation] = []
        for error in sorted(self._validator.iter_errors(params), key=_by_place):
            for violation in _describe(error):
                if violation not in found:
                    found.append(violation)
            if len(found) >= MAX_VIOLATIONS:
                return found[:MAX_VIOLATIONS]
        return found


def with_defaults(schema: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level properties left out take their schema default, so prices and providers see them."""
    filled = dict(params)
    for name, spec in (schema.get("properties") or {}).items():
        if name not in filled and isinstance(spec, Mapping) and "default" in spec:
            filled[name] = spec["default"]
    return filled


def _by_place(error: ValidationError) -> tuple[str, str]:
    return (field_path(error.absolute_path), str(error.validator))


def _describe(error: ValidationError) -> Sequence[FieldViolation]:
    path = list(error.absolute_path)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, Mapping) else {}
        return [
            FieldViolation(field_path([*path, name]), "is required")
            for name in error.validator_value
            if name not in present
        ]
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return [
            FieldViolation(field_path([*path, name]), "is not a parameter of this model")
            for name in _unexpected(error)
        ]
    return [FieldViolation(field_path(path), _problem(str(error.validator), error.validator_value))]


def _unexpected(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    known = set(error.schema.get("properties") or {})
    patterns = [re.compile(p) for p in error.schema.get("patternProperties") or {}]
    return [
        str(name)
        for name in instance
        if name not in known and not any(p.search(str(name)) for p in patterns)
    ][:MAX_VIOLATIONS]


_BOUNDS = {
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "exclusiveMinimum": "must be more than {}",
    "exclusiveMaximum": "must be less than {}",
    "multipleOf": "must be a multiple of {}",
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "minProperties": "must have at least {} entries",
    "maxProperties": "must have at most {} entries",
    "pattern": "must match the pattern {}",
}


def _problem(rule: str, expected: Any) -> str:
    """What the rule asks for, from the schema's side: never the refused value itself."""
    if rule == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        return "must be " + " or ".join(_TYPE_NAMES.get(str(n), str(n)) for n in names)
    if rule == "enum":
        return "must be one of " + ", ".join(shown(v) for v in list(expected)[:12])
    if rule == "const":
        return f"must be {shown(expected)}"
    if rule == "minLength" and expected == 1:
        return "must not be empty"
    if rule in _BOUNDS:
        return _BOUNDS[rule].format(shown(expected) if rule == "pattern" else expected)
    if rule == "uniqueItems":
        return "must not repeat an item"
    if rule in ("oneOf", "anyOf", "not", "if", "then", "else", "allOf"):
        return "does not match any allowed form"
    return f"breaks the schema's {rule!r} rule"
