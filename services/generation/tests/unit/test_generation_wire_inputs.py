"""Submit's params, and List's page size and token, checked at the door."""

from __future__ import annotations

import json

import pytest
from google.protobuf import struct_pb2

from atelier.generation.v1 import generation_pb2 as pb
from atelier_generation.api.wire_inputs import (
    page_size,
    page_token,
    submitted_params,
    token_after,
)
from atelier_generation.domain.errors import InvalidInput


def test_the_prompt_field_fills_the_params_prompt_unless_the_params_give_one() -> None:
    only_prompt = pb.SubmitGenerationRequest(prompt="a kite", params_json='{"seed": 3}')
    both = pb.SubmitGenerationRequest(prompt="a kite", params_json=json.dumps({"prompt": "a boat"}))

    assert submitted_params(only_prompt) == {"prompt": "a kite", "seed": 3}
    assert submitted_params(both) == {"prompt": "a boat"}


def test_params_may_come_as_a_struct() -> None:
    params = struct_pb2.Struct()
    params.update({"prompt": "a kite"})

    assert submitted_params(pb.SubmitGenerationRequest(params=params)) == {"prompt": "a kite"}


def test_media_inputs_are_refused_by_name_until_media_serves_them() -> None:
    with pytest.raises(InvalidInput) as refused:
        submitted_params(pb.SubmitGenerationRequest(input_media_ids=["m-1"]))

    assert refused.value.metadata["field"] == "input_media_ids"


def test_a_page_token_round_trips_and_a_forged_one_is_refused() -> None:
    assert page_token(token_after(42)) == 42
    assert page_token("") is None
    assert token_after(None) == ""
    for forged in ("42", "g-1", "gx", "g" + "9" * 30):
        with pytest.raises(InvalidInput):
            page_token(forged)


@pytest.mark.parametrize(("asked", "given"), [(0, 20), (1, 1), (100, 100)])
def test_a_page_size_within_bounds_is_kept(asked: int, given: int) -> None:
    assert page_size(asked) == given


@pytest.mark.parametrize("asked", [-1, 101, 2**31 - 1])
def test_a_page_size_out_of_bounds_is_refused(asked: int) -> None:
    with pytest.raises(InvalidInput):
        page_size(asked)
