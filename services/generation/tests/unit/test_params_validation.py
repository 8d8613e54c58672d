"""Params are checked against the model's input schema, and every problem names its field
without repeating the refused value."""

from __future__ import annotations

from typing import Any

import pytest

from atelier_generation.domain.errors import FieldViolation, InvalidParams
from atelier_generation.domain.params import MAX_VIOLATIONS, InputValidator

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string", "minLength": 1, "maxLength": 20},
        "aspect_ratio": {"type": "string", "enum": ["1:1", "16:9"], "default": "1:1"},
        "duration": {"type": "integer", "minimum": 2, "maximum": 10, "default": 5},
        "image_url": {"type": "string", "pattern": "^https?://\\S+$"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    },
}
VALIDATOR = InputValidator(SCHEMA)


def violations(params: dict[str, Any]) -> dict[str, str]:
    return {v.field: v.description for v in VALIDATOR.violations(params)}


def test_valid_params_get_the_schema_defaults() -> None:
    assert VALIDATOR.check({"prompt": "a fox"}) == {
        "prompt": "a fox",
        "aspect_ratio": "1:1",
        "duration": 5,
    }


def test_a_missing_required_field_is_named() -> None:
    assert violations({}) == {"params.prompt": "is required"}


@pytest.mark.parametrize(
    ("params", "field", "problem"),
    [
        ({"prompt": "x" * 21}, "params.prompt", "must be at most 20 characters long"),
        ({"prompt": ""}, "params.prompt", "must not be empty"),
        ({"prompt": 7}, "params.prompt", "must be a string"),
        (
            {"prompt": "a", "aspect_ratio": "2:1"},
            "params.aspect_ratio",
            "must be one of '1:1', '16:9'",
        ),
        ({"prompt": "a", "duration": 11}, "params.duration", "must be at most 10"),
        ({"prompt": "a", "duration": 1}, "params.duration", "must be at least 2"),
        ({"prompt": "a", "duration": 2.5}, "params.duration", "must be an integer"),
        ({"prompt": "a", "image_url": "file:///etc/passwd"}, "params.image_url", "must match"),
        ({"prompt": "a", "tags": ["a", 3]}, "params.tags[1]", "must be a string"),
        ({"prompt": "a", "tags": ["a", "b", "c"]}, "params.tags", "must have at most 2 items"),
        ({"prompt": "a", "colour": "red"}, "params.colour", "is not a parameter of this model"),
    ],
)
def test_each_broken_rule_names_its_field_and_problem(
    params: dict[str, Any], field: str, problem: str
) -> None:
    assert problem in violations(params)[field]


def test_every_field_at_fault_is_reported_at_once() -> None:
    found = violations({"prompt": "", "duration": 99, "aspect_ratio": "4:3"})

    assert set(found) == {"params.prompt", "params.duration", "params.aspect_ratio"}


def test_a_refusal_never_repeats_a_hostile_value() -> None:
    hostile = "\x1b[31m" + "x" * 70_000
    with pytest.raises(InvalidParams) as refused:
        VALIDATOR.check({"prompt": hostile, "duration": hostile, hostile: 1})

    error = refused.value
    assert len(error.message) < 1_000
    assert all(len(v.field) + len(v.description) < 200 for v in error.violations)
    assert "\x1b" not in error.message.replace("\\u001b", "")


def test_a_flood_of_unknown_fields_is_cut_to_a_readable_few() -> None:
    flood = {"prompt": "a", **{f"extra{i}": i for i in range(500)}}

    assert len(VALIDATOR.violations(flood)) == MAX_VIOLATIONS


def test_an_odd_key_is_quoted_in_the_field_path() -> None:
    found = VALIDATOR.violations({"prompt": "a", "two words": 1})

    assert found == [FieldViolation('params["two words"]', "is not a parameter of this model")]


def test_params_that_are_not_an_object_name_the_params_themselves() -> None:
    assert violations([1, 2]) == {"params": "must be an object"}  # type: ignore[arg-type]
