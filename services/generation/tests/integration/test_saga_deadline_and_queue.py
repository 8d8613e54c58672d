"""The model's deadline, the per-account cap on running jobs, and the events published."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import grpc
import pytest
import yaml
from services.generation.tests.integration.conftest import saga_clients
from services.generation.tests.saga_support import SagaClients, ledger_becomes

from atelier.events.v1 import envelope_pb2
from atelier.generation.v1 import generation_pb2 as pb
from atelier_generation.adapters.catalogue_file import DEFAULT_NAME
from atelier_runtime.bus_names import BusNames
from atelier_testing.polling import eventually


def catalogue_with_a_short_deadline(folder: Path) -> Path:
    """The shipped catalogue with text-to-image's deadline cut to one second, and a model whose
    adapter is not built yet."""
    shipped = resources.files("atelier_generation").joinpath(DEFAULT_NAME).read_text("utf-8")
    document = yaml.safe_load(shipped)
    for tool in document["tools"]:
        if tool["id"] == "text-to-image":
            tool["models"][0]["max_duration_s"] = 1
            ahead = {**tool["models"][0], "id": "replicate-flux", "provider": "replicate"}
            tool["models"].append(ahead)
    path = folder / "catalog.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


async def test_a_job_past_its_deadline_is_canceled_and_rolled_back(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, tmp_path: Path
) -> None:
    catalog = catalogue_with_a_short_deadline(tmp_path)
    async with saga_clients(
        database_url, nats_url, bus_prefix, credits_address, catalog=catalog
    ) as saga:
        account = await saga.funded_account(10)
        submitted = await saga.submit(account, "a slow sunset [fail:timeout]")

        done = await saga.settled(account, submitted.id)
        await ledger_becomes(
            saga.credits, account, done.id, [f"frozen:{done.id}", f"rolled_back:{done.id}"]
        )

    assert done.status == pb.GENERATION_STATUS_FAILED
    assert done.failure.fault == "provider"
    assert done.failure.code in {"provider_timeout", "deadline_exceeded"}
    assert done.credits_state == pb.CREDITS_STATE_ROLLED_BACK


async def test_a_model_whose_adapter_is_not_built_is_refused_before_any_freeze(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, tmp_path: Path
) -> None:
    catalog = catalogue_with_a_short_deadline(tmp_path)
    async with saga_clients(
        database_url, nats_url, bus_prefix, credits_address, catalog=catalog
    ) as saga:
        account = await saga.funded_account(10)
        request = pb.SubmitGenerationRequest(
            account_id=account,
            idempotency_key="k-1",
            tool="text-to-image",
            model="replicate-flux",
            params_json='{"prompt": "a kite"}',
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await saga.generation.Submit(request)

        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert await saga.available(account) == 10


async def test_jobs_beyond_the_accounts_cap_wait_queued_in_order(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    async with saga_clients(
        database_url, nats_url, bus_prefix, credits_address, generation_max_running_per_account=2
    ) as saga:
        account = await saga.funded_account(100)
        # Jobs that never finish by themselves hold their running slots until canceled.
        stuck = [await saga.submit(account, f"a storm {n} [fail:timeout]") for n in range(4)]
        await statuses_become(saga, account, stuck, ["running", "running", "queued", "queued"])
        assert [(await saga.get(account, g.id)).queue_position for g in stuck] == [0, 0, 1, 2]

        await cancel(saga, account, stuck[0])
        await statuses_become(saga, account, stuck, ["canceled", "running", "running", "queued"])
        assert (await saga.get(account, stuck[3].id)).queue_position == 1
        for g in stuck[1:]:
            await cancel(saga, account, g)
        await statuses_become(saga, account, stuck, ["canceled"] * 4)


async def test_each_step_is_published_on_the_generation_stream(
    saga: SagaClients, jetstream: object, bus_names: BusNames
) -> None:
    account = await saga.funded_account(10)
    submitted = await saga.submit(account)
    await saga.settled(account, submitted.id)
    js = jetstream

    async def published() -> list[str]:
        info = await js.stream_info(bus_names.stream("generation"))  # type: ignore[attr-defined]
        kinds = []
        for seq in range(1, info.state.last_seq + 1):
            msg = await js.get_msg(bus_names.stream("generation"), seq=seq)  # type: ignore[attr-defined]
            envelope = envelope_pb2.Envelope.FromString(msg.data)
            if envelope.subject_id == submitted.id:
                kinds.append(msg.subject.rsplit(".", 1)[-1])
        return kinds

    async def all_published() -> bool:
        return "succeeded" in await published()

    await eventually(all_published, 10, what="GenerationSucceeded published")
    kinds = await published()
    assert kinds[0] == "requested"
    assert kinds[-1] == "succeeded"
    assert "started" in kinds
    assert kinds.count("succeeded") == 1


async def cancel(saga: SagaClients, account: str, g: pb.Generation) -> None:
    await saga.generation.CancelGeneration(
        pb.CancelGenerationRequest(account_id=account, generation_id=g.id)
    )


async def statuses_become(
    saga: SagaClients, account: str, generations: list[pb.Generation], expected: list[str]
) -> None:
    seen: list[list[str]] = []

    async def matches() -> bool:
        gs = [await saga.get(account, g.id) for g in generations]
        seen[:] = [[pb.GenerationStatus.Name(g.status).split("_")[-1].lower() for g in gs]]
        return seen[0] == expected

    try:
        await eventually(matches, 15, what="statuses")
    except AssertionError:
        raise AssertionError(f"statuses {seen[0]} != {expected}") from None
