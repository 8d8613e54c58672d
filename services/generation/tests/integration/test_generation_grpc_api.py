"""ListTools and EstimateCost on the real composition root, over gRPC."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from google.rpc import error_details_pb2  # type: ignore[import-untyped]
from grpc_status import rpc_status
from services.generation.tests.generation_service import service_settings, serving_generation

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier_runtime.grpc_client import channel

if TYPE_CHECKING:
    Stub = generation_pb2_grpc.GenerationServiceAsyncStub


@pytest.fixture
async def stub(database_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Stub]:
    settings = service_settings(database_url, nats_url, bus_prefix)
    async with serving_generation(settings) as address, channel(address) as opened:
        yield generation_pb2_grpc.GenerationServiceStub(opened)  # type: ignore[misc]


def estimate(tool: str, model: str = "local", **params: Any) -> generation_pb2.EstimateCostRequest:
    return generation_pb2.EstimateCostRequest(
        tool=tool, model=model, params_json=json.dumps(params)
    )


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found.update({v.field: v.description for v in bad_request.field_violations})
    return found


async def test_list_tools_describes_the_whole_catalogue(stub: Stub) -> None:
    listing = await stub.ListTools(generation_pb2.ListToolsRequest())

    tools = {tool.id: tool for tool in listing.tools}
    assert len(tools) == 11
    assert {tool.kind for tool in listing.tools} == {"image", "video", "music"}
    video = tools["text-to-video"].models[0]
    assert (video.id, video.provider, video.provider_model) == ("local", "local", "video")
    assert video.cost == 10
    assert video.cost_rule.startswith("2 credits per second of duration")
    assert (video.outputs.kind, video.outputs.content_type) == ("video", "video/mp4")
    assert video.max_duration_s > 0
    schema = json.loads(video.input_schema_json)
    assert schema["properties"]["prompt"]["maxLength"] == 2000
    assert tools["text-to-image"].models[0].outputs.count_field == "num_outputs"


async def test_estimate_cost_prices_valid_params(stub: Stub) -> None:
    priced = await stub.EstimateCost(
        estimate("text-to-video", prompt="waves", duration=10, resolution="720p")
    )

    assert priced.credits == 30
    assert priced.cost_rule.startswith("2 credits per second")


async def test_estimate_cost_names_every_field_at_fault(stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.EstimateCost(estimate("text-to-video", prompt="", duration=99, colour="red"))

    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(refused.value) == {
        "params.prompt": "must not be empty",
        "params.duration": "must be at most 10",
        "params.colour": "is not a parameter of this model",
    }


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (estimate("text-to-sculpture", prompt="a"), "tool"),
        (estimate("text-to-video", model="sora-9", prompt="a"), "model"),
        (estimate("text\x00to", prompt="a"), "tool"),
        (
            generation_pb2.EstimateCostRequest(tool="upscale", model="local", params_json="{"),
            "params_json",
        ),
        (
            generation_pb2.EstimateCostRequest(
                tool="upscale", model="local", params_json="x" * 70_000
            ),
            "params_json",
        ),
    ],
    ids=["unknown tool", "unknown model", "NUL in the tool", "broken JSON", "params too large"],
)
async def test_a_bad_request_is_refused_naming_its_field(
    stub: Stub, request_: generation_pb2.EstimateCostRequest, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.EstimateCost(request_)

    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations(refused.value)
    assert len(refused.value.details() or "") < 300


async def test_an_unknown_generation_is_not_found(stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.GetGeneration(
            generation_pb2.GetGenerationRequest(account_id="acct-1", generation_id="g-1")
        )

    assert refused.value.code() is grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "params_json",
    [
        json.dumps({"prompt": "x" * 60_000}),
        json.dumps({"prompt": "a\u0000b"}),
        json.dumps({"prompt": "a", "\x1b[31m" * 1000: 1}),
        "[" * 30_000 + "]" * 30_000,
        '{"prompt": "a", "duration": 1e999}',
    ],
    ids=["a prompt of 60 KB", "an escaped NUL", "a hostile key", "deep nesting", "infinity"],
)
async def test_hostile_params_are_refused_briefly_and_by_name(stub: Stub, params_json: str) -> None:
    request = generation_pb2.EstimateCostRequest(
        tool="text-to-video", model="local", params_json=params_json
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.EstimateCost(request)

    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(refused.value)
    assert all(field.startswith("params") for field in violations(refused.value))
    assert len(refused.value.details() or "") < 1_000
