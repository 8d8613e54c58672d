"""Hostile input against the real generation service: nothing crashes, hangs or echoes, and
every refusal names its field."""

from __future__ import annotations

import json

from services.generation.tests.generation_service import service_settings, serving_generation

from atelier.generation.v1 import generation_pb2
from atelier_testing.grpc_fuzzer import Case, Trait, assert_no_findings, fuzz_service

SERVICE = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name
SERVED = {f"{SERVICE}/ListTools", f"{SERVICE}/EstimateCost"}
# The documented bounds at the door: ids of at most 200 printable characters, params of at most
# 64 KiB, no NUL anywhere.
_ALWAYS_REFUSED = {Trait.NUL, Trait.LONG, Trait.CONTROL, Trait.EMPTY}


def outside_the_documented_bounds(case: Case) -> bool:
    if case.method not in SERVED or case.trait not in _ALWAYS_REFUSED:
        return False
    # Empty params are no params: the schema then names what is required.
    return not (case.trait is Trait.EMPTY and case.field == "params_json")


async def test_hostile_input_is_refused_cleanly(
    database_url: str, nats_url: str, bus_prefix: str
) -> None:
    settings = service_settings(database_url, nats_url, bus_prefix)
    estimate = generation_pb2.EstimateCostRequest(
        tool="text-to-video",
        model="local",
        params_json=json.dumps({"prompt": "waves", "duration": 4, "resolution": "720p"}),
    )
    async with serving_generation(settings) as address:
        report = await fuzz_service(
            address,
            baselines={
                f"{SERVICE}/ListTools": generation_pb2.ListToolsRequest(),
                f"{SERVICE}/EstimateCost": estimate,
            },
            must_refuse=outside_the_documented_bounds,
        )

    assert_no_findings(report)
    assert set(report.methods) >= SERVED
