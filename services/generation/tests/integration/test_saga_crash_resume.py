"""A process dies at each step of the saga; another composition root finishes the generation
from its record, with exactly one freeze and one confirm, and one provider submission."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from services.generation.tests.local_support import local_provider
from services.generation.tests.saga_parts import World, composition
from services.generation.tests.saga_support import funded_account, ledger_becomes

from atelier.credits.v1 import credits_pb2_grpc
from atelier_generation.application.saga_record import LeaseLost
from atelier_generation.domain.generation import (
    CreditsState,
    Generation,
    Status,
    generation_id,
)

if TYPE_CHECKING:
    CreditsStub = credits_pb2_grpc.CreditsServiceAsyncStub


async def finish(world: World, account: str, gid: str) -> Generation:
    taken = await world.take_over()
    assert taken.id == gid
    await world.second.saga.driver.drive(taken)
    done = await world.second.saga.record.load(gid)
    assert done is not None
    return done


async def succeeded_once(world: World, account: str, done: Generation) -> None:
    assert (done.status, done.credits) == (Status.SUCCEEDED, CreditsState.CONFIRMED)
    assert len(done.outputs) == 1
    await ledger_becomes(
        world.credits, account, done.id, [f"frozen:{done.id}", f"confirmed:{done.id}"]
    )
    published = await world.first.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject LIKE '%.generation.succeeded' AND event_id LIKE $1",
        f"{done.id}:%",
    )
    assert published == 1


async def test_a_death_after_the_record_is_resumed_from_the_freeze(world: World) -> None:
    account = await funded_account(world.credits, 10)
    now = datetime.now(UTC)
    params = {"prompt": "a lighthouse", "aspect_ratio": "1:1", "resolution": "1K", "num_outputs": 1}
    recorded = Generation(
        generation_id(account, "k-1"), account, "text-to-image", "local", params, 2,
        Status.QUEUED, CreditsState.NONE, created_at=now, updated_at=now,
    )  # fmt: skip
    # Recorded by a process that died before freezing, still holding its lease.
    await world.first.saga.record.create(
        recorded, key="k-1", fingerprint="f", owner="dead", lease_s=0.5
    )

    done = await finish(world, account, recorded.id)

    await succeeded_once(world, account, done)
    assert len(world.provider.submitted) == 1


async def test_a_death_between_the_freeze_and_its_record_freezes_once(world: World) -> None:
    account = await funded_account(world.credits, 10)
    recorded = await world.submit(account)
    # Credits froze, but the process died before recording it: the freeze is asked again.
    await world.first.pool.execute(
        "UPDATE generations SET credits = 'none', version = version + 1 WHERE id = $1", recorded.id
    )

    done = await finish(world, account, recorded.id)

    await succeeded_once(world, account, done)
    assert len(world.provider.submitted) == 1


async def test_a_death_after_the_freeze_is_resumed(world: World) -> None:
    account = await funded_account(world.credits, 10)
    frozen = await world.submit(account)
    claimed = await world.first.claim()
    assert claimed is not None
    await world.first.step(claimed)  # admitted, then the process dies holding the lease

    done = await finish(world, account, frozen.id)

    await succeeded_once(world, account, done)
    assert len(world.provider.submitted) == 1


async def test_a_death_after_the_provider_submit_polls_the_recorded_job(world: World) -> None:
    account = await funded_account(world.credits, 10)
    await world.submit(account)
    g = await world.first.claim()
    assert g is not None
    g = await world.first.step(await world.first.step(g))  # admitted, submitted
    assert g.provider_job_id is not None

    done = await finish(world, account, g.id)

    await succeeded_once(world, account, done)
    assert world.provider.submitted == [g.provider_job_id]


async def test_a_death_after_success_before_the_confirm_confirms_once(world: World) -> None:
    account = await funded_account(world.credits, 10)
    await world.submit(account)
    g = await world.first.claim()
    assert g is not None
    for _ in range(3):  # admitted, submitted, succeeded: the confirm never happens
        g = await world.first.step(g)
    assert (g.status, g.credits) == (Status.SUCCEEDED, CreditsState.FROZEN)

    done = await finish(world, account, g.id)

    await succeeded_once(world, account, done)
    assert len(world.provider.submitted) == 1


async def test_a_job_the_provider_lost_is_a_provider_fault_rolled_back(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, world: World
) -> None:
    account = await funded_account(world.credits, 10)
    await world.submit(account)
    g = await world.first.claim()
    assert g is not None
    g = await world.first.step(await world.first.step(g))
    # The local provider's jobs live in its process: a restarted one knows none of them.
    async with (
        local_provider() as restarted,
        composition(
            database_url, nats_url, bus_prefix, credits_address, restarted, generation_lease_s=0.6
        ) as third,
    ):
        world.second = third
        done = await finish(world, account, g.id)

    assert (done.status, done.credits) == (Status.FAILED, CreditsState.ROLLED_BACK)
    assert done.failure is not None
    assert done.failure.fault == "provider"
    await ledger_becomes(
        world.credits, account, done.id, [f"frozen:{done.id}", f"rolled_back:{done.id}"]
    )


async def test_a_driver_whose_lease_was_taken_over_can_no_longer_write(world: World) -> None:
    account = await funded_account(world.credits, 10)
    await world.submit(account)
    stalled = await world.first.claim()
    assert stalled is not None
    stalled = await world.first.step(stalled)  # admitted; then it stalls past its lease
    taken = await world.take_over()

    with pytest.raises(LeaseLost):
        await world.first.step(stalled)  # its submit attempt is refused before the provider call

    await world.second.saga.driver.drive(taken)
    done = await world.second.saga.record.load(taken.id)
    assert done is not None
    await succeeded_once(world, account, done)
    assert len(world.provider.submitted) == 1
