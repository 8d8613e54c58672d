"""Request fields are bounded at the door, each refusal naming its field."""

from __future__ import annotations

import pytest

from atelier_generation.api.wire_inputs import MAX_PARAMS_BYTES, catalogue_id, params_object
from atelier_generation.domain.errors import InvalidInput


@pytest.mark.parametrize(
    "value", ["", "x" * 201, "text\x00to", "text\nto", " padded", "\u202eflipped"]
)
def test_an_id_that_is_empty_long_or_unprintable_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        catalogue_id("tool", value)

    assert refused.value.metadata["field"] == "tool"
    assert len(refused.value.message) < 200


def test_an_ordinary_id_passes() -> None:
    assert catalogue_id("model", "flux-schnell") == "flux-schnell"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"prompt": "' + "x" * MAX_PARAMS_BYTES + '"}', "at most"),
        ('{"prompt": "a\x00b"}', "NUL"),
        ('{"prompt": "a\\u0000b"}', "NUL"),
        ('{"prompt\\u0000": "a"}', "NUL"),
        ('{"prompt": "\\ud800"}', "surrogates"),
        ('{"duration": NaN}', "valid JSON"),
        ('{"duration": 1e999}', "valid JSON"),
        ('{"prompt": ', "valid JSON"),
        ("[1, 2]", "a JSON object"),
        ('"text"', "a JSON object"),
        ("[" * 10_000 + "]" * 10_000, "valid JSON"),
        ('{"a": ' * 40 + "1" + "}" * 40, "nest at most"),
    ],
    ids=[
        "too large",
        "raw NUL",
        "escaped NUL",
        "NUL in a key",
        "lone surrogate",
        "NaN",
        "infinite number",
        "truncated",
        "an array",
        "a string",
        "deep arrays",
        "deep objects",
    ],
)
def test_params_that_are_not_a_safe_json_object_are_refused(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        params_object("params_json", text)

    assert refused.value.metadata["field"] == "params_json"
    assert problem in refused.value.message
    assert len(refused.value.message) < 300


def test_empty_params_are_no_params() -> None:
    assert params_object("params_json", "  ") == {}


def test_a_json_object_passes_as_it_is() -> None:
    assert params_object("params_json", '{"prompt": "é", "n": 2, "x": [1.5]}') == {
        "prompt": "é",
        "n": 2,
        "x": [1.5],
    }
