"""Hostile input against the real generation service (beside a real credits service): nothing
crashes, hangs or echoes, and every refusal names its field."""

from __future__ import annotations

import json

from services.generation.tests.integration.conftest import saga_clients

from atelier.generation.v1 import generation_pb2
from atelier_testing.grpc_fuzzer import Case, Trait, assert_no_findings, fuzz_service
from atelier_testing.ids import random_id

SERVICE = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name
SERVED = {
    f"{SERVICE}/{name}"
    for name in (
        "ListTools",
        "EstimateCost",
        "Submit",
        "GetGeneration",
        "CancelGeneration",
        "ListGenerations",
    )
}
# The documented bounds at the door: ids of at most 200 printable characters, params of at most
# 64 KiB, no NUL anywhere.
_ALWAYS_REFUSED = {Trait.NUL, Trait.LONG, Trait.CONTROL, Trait.EMPTY}
# Fields where empty is a valid value: no params, no prompt, the first page, no input files.
_MAY_BE_EMPTY = {"params_json", "prompt", "page_token", "params", "input_media_ids"}


def outside_the_documented_bounds(case: Case) -> bool:
    if case.method not in SERVED or case.trait not in _ALWAYS_REFUSED:
        return False
    leaf = case.field.split(".")[-1].split("[")[0]
    if case.trait is Trait.EMPTY and leaf in _MAY_BE_EMPTY:
        return False
    # A prompt is free text (a newline is fine), checked by the model's schema in the params.
    return not (case.field.startswith("params.") or leaf == "prompt")


async def test_hostile_input_is_refused_cleanly(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    estimate = generation_pb2.EstimateCostRequest(
        tool="text-to-video",
        model="local",
        params_json=json.dumps({"prompt": "waves", "duration": 4, "resolution": "720p"}),
    )
    async with saga_clients(database_url, nats_url, bus_prefix, credits_address) as saga:
        account = await saga.funded_account(100_000)
        existing = await saga.submit(account)

        def submit() -> generation_pb2.SubmitGenerationRequest:
            return generation_pb2.SubmitGenerationRequest(
                account_id=account,
                idempotency_key=random_id("key"),
                tool="text-to-image",
                model="local",
                params_json=json.dumps({"prompt": "a kite"}),
            )

        mine = {"account_id": account, "generation_id": existing.id}
        report = await fuzz_service(
            saga.address,
            baselines={
                f"{SERVICE}/ListTools": generation_pb2.ListToolsRequest(),
                f"{SERVICE}/EstimateCost": estimate,
                f"{SERVICE}/Submit": submit,
                f"{SERVICE}/GetGeneration": generation_pb2.GetGenerationRequest(**mine),
                f"{SERVICE}/CancelGeneration": generation_pb2.CancelGenerationRequest(**mine),
                f"{SERVICE}/ListGenerations": generation_pb2.ListGenerationsRequest(
                    account_id=account, page_size=10
                ),
            },
            must_refuse=outside_the_documented_bounds,
        )

    assert_no_findings(report)
    assert set(report.methods) >= SERVED
