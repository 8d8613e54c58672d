"""A success after the freeze expired, and two replicas racing on the same generations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from services.generation.tests.saga_parts import World
from services.generation.tests.saga_support import funded_account, ledger, ledger_becomes

from atelier.credits.v1 import credits_pb2
from atelier_generation.domain.generation import CreditsState, Generation, Status
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually


async def succeeded_after_the_freeze_expired(
    world: World, account: str, *, then: Callable[[], Awaitable[object]] | None = None
) -> Generation:
    """Admitted, submitted, then the freeze is rolled back as its expiry would (and `then`)."""
    await world.submit(account)
    g = await world.first.claim()
    assert g is not None
    g = await world.first.step(await world.first.step(g))
    await world.credits.RollBack(
        credits_pb2.RollBackRequest(
            account_id=account, freeze_id=g.id, reason=credits_pb2.ROLLBACK_REASON_EXPIRED
        )
    )
    if then is not None:
        await then()
    await world.first.saga.driver.drive(g)
    done = await world.first.saga.record.load(g.id)
    assert done is not None
    return done


async def test_a_late_success_is_charged_once_under_a_derived_id(world: World) -> None:
    account = await funded_account(world.credits, 10)

    done = await succeeded_after_the_freeze_expired(world, account)

    assert (done.status, done.credits) == (Status.SUCCEEDED, CreditsState.CONFIRMED)
    assert done.charged_freeze_id == f"{done.id}:late"
    assert len(done.outputs) == 1
    await ledger_becomes(
        world.credits,
        account,
        done.id,
        [
            f"frozen:{done.id}",
            f"rolled_back:{done.id}",
            f"frozen:{done.id}:late",
            f"confirmed:{done.id}:late",
        ],
    )


async def test_a_late_success_the_account_cannot_pay_is_delivered_and_waived(
    world: World,
) -> None:
    account = await funded_account(world.credits, 2)
    # What the expiry returned is spent elsewhere before the late charge is tried.
    spend = credits_pb2.FreezeRequest(account_id=account, freeze_id=random_id("f"), amount=2)

    done = await succeeded_after_the_freeze_expired(
        world, account, then=lambda: world.credits.Freeze(spend)
    )

    assert (done.status, done.credits) == (Status.SUCCEEDED, CreditsState.CHARGE_WAIVED)
    assert len(done.outputs) == 1
    balance = await world.credits.GetBalance(credits_pb2.GetBalanceRequest(account_id=account))
    assert balance.balance.available == 0
    assert f"confirmed:{done.id}:late" not in await ledger(world.credits, account, done.id)


async def test_two_replicas_racing_drive_each_generation_once(world: World) -> None:
    account = await funded_account(world.credits, 100)
    submitted = [await world.submit(account) for _ in range(12)]

    async def replica(which: int) -> None:
        composition = world.first if which == 0 else world.second
        for _ in range(200):
            await composition.drive_all()
            rows = await composition.pool.fetchval(
                "SELECT count(*) FROM generations WHERE status IN ('queued', 'running') "
                "OR credits = 'frozen'"
            )
            if rows == 0:
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(asyncio.gather(replica(0), replica(1)), 60)

    assert len(world.provider.submitted) == len(submitted)
    for g in submitted:
        await ledger_becomes(world.credits, account, g.id, [f"frozen:{g.id}", f"confirmed:{g.id}"])

    async def all_confirmed() -> bool:
        rows = await world.first.pool.fetch("SELECT credits FROM generations")
        return all(r["credits"] == "confirmed" for r in rows)

    await eventually(all_confirmed, 10, what="every generation confirmed")
