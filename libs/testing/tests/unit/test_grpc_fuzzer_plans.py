"""The fuzzer's mutation plans: every field reached, every value settable, the same seed the same bytes."""

from __future__ import annotations

from datetime import datetime

import pytest
from google.protobuf import message_factory, struct_pb2, timestamp_pb2
from google.protobuf.message import Message
from libs.testing.tests.fuzz_feed import feed_service

from atelier.credits.v1 import credits_pb2
from atelier_testing.grpc_fuzzer import Trait
from atelier_testing.grpc_fuzzer.defaults import default_request
from atelier_testing.grpc_fuzzer.walk import request_plans


def follow_request() -> type[Message]:
    method = feed_service().methods_by_name["Follow"]
    return message_factory.GetMessageClass(method.input_type)


def paths(request_type: type[Message]) -> set[str]:
    return {plan.path for plan in request_plans(request_type, "seed")}


def payloads(request_type: type[Message], seed: str) -> list[bytes]:
    result = []
    for plan in request_plans(request_type, seed):
        request = default_request(request_type, seed)
        plan.mutate(request)
        result.append(request.SerializeToString())
    return result


def test_every_field_of_a_flat_request_is_mutated() -> None:
    assert paths(credits_pb2.GrantRequest) == {
        "(request)",
        *(field.name for field in credits_pb2.GrantRequest.DESCRIPTOR.fields),
    }


def test_nested_repeated_map_and_oneof_fields_are_walked() -> None:
    assert paths(follow_request()) == {
        "(request)",
        "topic",
        "cursor",
        "tags",
        "tags[0]",
        "since",
        "labels",
        "labels.key",
        "labels.value",
        "number",
        "word",
        "weight",
        "filters",
        "filters[0].kind",
        "filters[0].window",
    }


def test_a_recursive_type_is_entered_once_per_path() -> None:
    found = paths(struct_pb2.Value)

    assert "list_value.values[0].string_value" not in found
    assert {"string_value", "list_value.values", "struct_value.fields"} <= found


@pytest.mark.parametrize("request_type", [credits_pb2.GrantRequest, credits_pb2.FreezeRequest])
def test_every_plan_applies_to_an_empty_request_as_well(request_type: type[Message]) -> None:
    for plan in request_plans(request_type, "seed"):
        request = request_type()
        plan.mutate(request)
        assert request.SerializeToString() is not None


def test_the_same_seed_gives_the_same_requests_and_another_seed_other_ones() -> None:
    request_type = follow_request()

    assert payloads(request_type, "7") == payloads(request_type, "7")
    assert payloads(request_type, "7") != payloads(request_type, "8")


def test_out_of_range_timestamps_are_outside_what_a_timestamp_can_hold() -> None:
    plans = [
        plan
        for plan in request_plans(credits_pb2.GrantRequest, "seed")
        if plan.hostile.trait is Trait.TIME_OUT_OF_RANGE
    ]
    assert len(plans) == 4
    for plan in plans:
        request = credits_pb2.GrantRequest()
        plan.mutate(request)
        with pytest.raises((ValueError, OverflowError)):
            timestamp_pb2.Timestamp(
                seconds=request.expires_at.seconds, nanos=request.expires_at.nanos
            ).ToDatetime()


def test_a_default_baseline_fills_every_field_with_plain_values() -> None:
    request = default_request(credits_pb2.GrantRequest, "seed")

    assert request.account_id.startswith("x-")
    assert request.amount == 1
    assert isinstance(request.expires_at.ToDatetime(), datetime)
