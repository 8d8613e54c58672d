"""Each way a generation ends, through the real service and a real credits ledger."""

from __future__ import annotations

import grpc
import pytest
from services.generation.tests.saga_support import SagaClients, ledger_becomes

from atelier.credits.v1 import credits_pb2
from atelier.generation.v1 import generation_pb2 as pb
from atelier_runtime.grpc_errors import error_details


async def ledger_is(saga: SagaClients, account: str, gid: str, expected: list[str]) -> None:
    await ledger_becomes(saga.credits, account, gid, expected)


async def test_success_confirms_the_freeze_and_delivers_the_output(saga: SagaClients) -> None:
    account = await saga.funded_account(10)
    submitted = await saga.submit(account)
    assert submitted.cost == 2
    assert submitted.credits_state == pb.CREDITS_STATE_FROZEN

    done = await saga.settled(account, submitted.id)

    assert done.status == pb.GENERATION_STATUS_SUCCEEDED
    assert done.credits_state == pb.CREDITS_STATE_CONFIRMED
    assert done.progress == 100
    assert [o.content_type for o in done.outputs] == ["image/png"]
    assert done.outputs[0].url.startswith("http://127.0.0.1:")
    await ledger_is(saga, account, done.id, [f"frozen:{done.id}", f"confirmed:{done.id}"])
    assert await saga.available(account) == 8


async def test_insufficient_credits_submits_nothing_and_passes_the_detail_on(
    saga: SagaClients,
) -> None:
    account = await saga.funded_account(1)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await saga.submit(account, key="k-1")

    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    _, details = error_details(refused.value)
    insufficient = credits_pb2.InsufficientCredits()
    assert any(d.Unpack(insufficient) for d in details)
    assert (insufficient.available, insufficient.requested) == (1, 2)
    listed = await saga.generation.ListGenerations(pb.ListGenerationsRequest(account_id=account))
    [failed] = listed.generations
    assert failed.status == pb.GENERATION_STATUS_FAILED
    assert failed.failure.code == "insufficient_credits"
    assert failed.credits_state == pb.CREDITS_STATE_UNSPECIFIED


@pytest.mark.parametrize(
    ("marker", "code", "fault"),
    [
        ("[fail:policy]", "content_policy", "user"),
        ("[fail:input]", "invalid_input", "user"),
        ("[fail:provider]", "provider_unavailable", "provider"),
        # Refused at every one of the three submit attempts (honouring its 1 s Retry-After).
        ("[fail:rate-limit]", "rate_limited", "provider"),
    ],
)
async def test_a_failed_job_rolls_the_freeze_back(
    saga: SagaClients, marker: str, code: str, fault: str
) -> None:
    account = await saga.funded_account(10)
    submitted = await saga.submit(account, f"a cat {marker}")

    done = await saga.settled(account, submitted.id)

    assert done.status == pb.GENERATION_STATUS_FAILED
    assert (done.failure.code, done.failure.fault) == (code, fault)
    assert done.credits_state == pb.CREDITS_STATE_ROLLED_BACK
    await ledger_is(saga, account, done.id, [f"frozen:{done.id}", f"rolled_back:{done.id}"])
    assert await saga.available(account) == 10


async def test_cancel_stops_the_job_and_rolls_the_freeze_back(saga: SagaClients) -> None:
    account = await saga.funded_account(10)
    # A job that never finishes by itself: only the cancel ends it.
    submitted = await saga.submit(account, "a storm [fail:timeout]")

    await saga.generation.CancelGeneration(
        pb.CancelGenerationRequest(account_id=account, generation_id=submitted.id)
    )
    done = await saga.settled(account, submitted.id)

    assert done.status == pb.GENERATION_STATUS_CANCELED
    assert done.credits_state == pb.CREDITS_STATE_ROLLED_BACK
    await ledger_is(saga, account, done.id, [f"frozen:{done.id}", f"rolled_back:{done.id}"])


async def test_the_same_key_and_request_give_the_same_generation(saga: SagaClients) -> None:
    account = await saga.funded_account(10)
    first = await saga.submit(account, key="k-1")
    again = await saga.submit(account, key="k-1")

    assert again.id == first.id
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await saga.submit(account, "another prompt", key="k-1")
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    done = await saga.settled(account, first.id)
    await ledger_is(saga, account, done.id, [f"frozen:{done.id}", f"confirmed:{done.id}"])


async def test_another_account_cannot_see_or_cancel_a_generation(saga: SagaClients) -> None:
    account = await saga.funded_account(10)
    submitted = await saga.submit(account)

    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await saga.get("acct-someone-else", submitted.id)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
