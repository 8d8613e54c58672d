"""Pydantic's validation errors as one line each: the variable, what is wrong, what was given."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Phrase = Callable[[Mapping[str, Any]], str]
# The password in `scheme://user:password@host`, which a malformed URL may still carry.
_URL_PASSWORD = re.compile(r"(?<=://)([^:/@\s]*):[^@/\s]*@")

# Pydantic's own messages ("Input should be a valid integer, unable to parse string as an
# integer") describe its parser; an operator needs the expected form.
_PHRASES: dict[str, Phrase] = {
    "int_parsing": lambda _: "must be a whole number",
    "int_type": lambda _: "must be a whole number",
    "int_from_float": lambda _: "must be a whole number",
    "float_parsing": lambda _: "must be a number",
    "float_type": lambda _: "must be a number",
    "bool_parsing": lambda _: "must be true or false",
    "greater_than_equal": lambda ctx: f"must be at least {_number(ctx['ge'])}",
    "greater_than": lambda ctx: f"must be more than {_number(ctx['gt'])}",
    "less_than_equal": lambda ctx: f"must be at most {_number(ctx['le'])}",
    "less_than": lambda ctx: f"must be less than {_number(ctx['lt'])}",
    "literal_error": lambda ctx: f"must be {ctx['expected']}",
    "string_too_short": lambda ctx: f"must be at least {ctx['min_length']} characters long",
    "string_too_long": lambda ctx: f"must be at most {ctx['max_length']} characters long",
    "value_error": lambda ctx: str(ctx["error"]),
}


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe(variable: str, error: Mapping[str, Any], *, secret: bool) -> str:
    """One line for one pydantic error about `variable`; a secret's value is never echoed."""
    kind = str(error.get("type", ""))
    if kind == "missing":
        return f"{variable}: required but not set"
    phrase = _PHRASES.get(kind)
    text = phrase(error.get("ctx") or {}) if phrase else str(error.get("msg", "invalid value"))
    if secret:
        return f"{variable}: {text}"
    return f"{variable}: {text}, got {shown(error.get('input'))!r}"


def shown(value: object) -> object:
    """`value` as it may be echoed back: a URL's password is replaced by ***."""
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\1:***@", value)
    return value
