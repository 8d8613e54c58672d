"""Billing's plan announcements decide whose queued work is claimed first: the newest
announcement wins whatever order they come in, and a pro account's job starts before an
older free one's when every driver is busy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext
from services.generation.tests.integration.conftest import saga_clients
from services.generation.tests.integration.test_saga_deadline_and_queue import (
    cancel,
    statuses_become,
)
from services.generation.tests.plan_announcements import announce, known_plan, plan_changed
from services.generation.tests.saga_support import SagaClients

from atelier.generation.v1 import generation_pb2 as pb
from atelier_generation.application.account_plans import PLANS_CONSUMER
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually


async def processed(pool: DbPool, count: int) -> None:
    async def all_in() -> bool:
        done = await pool.fetchval(
            "SELECT count(*) FROM processed_messages WHERE consumer = $1", PLANS_CONSUMER
        )
        return bool(done == count)

    await eventually(all_in, 20, what=f"{count} plan announcements processed")


async def test_the_newest_announcement_wins_whatever_the_order_and_repeats(
    saga: SagaClients, jetstream: JetStreamContext, bus_names: BusNames, db_pool: DbPool
) -> None:
    account, same_instant = random_id("acct"), random_id("acct")
    now = datetime.now(UTC)
    newest = plan_changed(account, "pro", now)
    for envelope in (
        plan_changed(account, "basic", now - timedelta(hours=2)),
        newest,
        plan_changed(account, "free", now - timedelta(hours=1)),
        plan_changed(same_instant, "basic", now),
        plan_changed(same_instant, "pro", now),
    ):
        await announce(jetstream, bus_names, envelope)
    # The newest one again, as a replay of billing's stream delivers it, then stale news again.
    await announce(jetstream, bus_names, newest, msg_id=random_id("replay"))
    await announce(
        jetstream, bus_names, plan_changed(account, "standard", now - timedelta(minutes=1))
    )

    await processed(db_pool, 7)
    assert await known_plan(db_pool, account) == "pro"
    assert await known_plan(db_pool, same_instant) == "pro"  # same instant: later in the stream


async def test_a_pro_accounts_queued_job_starts_before_an_older_free_one(
    database_url: str,
    nats_url: str,
    bus_prefix: str,
    credits_address: str,
    jetstream: JetStreamContext,
    bus_names: BusNames,
    db_pool: DbPool,
) -> None:
    # One driver, held by a job that never ends by itself: everything else waits queued.
    async with saga_clients(
        database_url, nats_url, bus_prefix, credits_address, generation_workers=1
    ) as saga:
        blocker_account, free, pro = [await saga.funded_account(100) for _ in range(3)]
        await announce(jetstream, bus_names, plan_changed(pro, "pro", datetime.now(UTC)))
        await processed(db_pool, 1)
        blocker = await saga.submit(blocker_account, "a storm [fail:timeout]")
        await statuses_become(saga, blocker_account, [blocker], ["running"])
        older = await saga.submit(free, "a free storm [fail:timeout]")
        newer = await saga.submit(pro, "a pro storm [fail:timeout]")
        await statuses_become(saga, free, [older], ["queued"])
        await statuses_become(saga, pro, [newer], ["queued"])

        await cancel(saga, blocker_account, blocker)

        # The freed driver takes the pro job, and keeps it: the free one is still waiting.
        await statuses_become(saga, pro, [newer], ["running"])
        assert (await saga.get(free, older.id)).status == pb.GENERATION_STATUS_QUEUED
        await cancel(saga, pro, newer)
        await statuses_become(saga, free, [older], ["running"])
        await cancel(saga, free, older)
        await statuses_become(saga, free, [older], ["canceled"])
