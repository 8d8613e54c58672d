"""The record of provider callbacks and its notification: what another replica's driver reads
and what wakes it."""

from __future__ import annotations

import asyncio

from atelier_generation.adapters import provider_updates
from atelier_generation.adapters.schema import MIGRATIONS
from atelier_generation.adapters.webhook_listener import listen_for_webhooks
from atelier_generation.application.nudges import Nudges
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob, ProviderOutput
from atelier_runtime.db import DbPool, apply_migrations

JOB = ProviderJob("fal", "req-1")
DONE = JobStatus(JobState.SUCCEEDED, 100, (ProviderOutput("https://cdn/x.png", "image/png", None),))


async def record(pool: DbPool, status: JobStatus) -> bool:
    async with pool.acquire() as conn, conn.transaction():
        return await provider_updates.record(conn, "gen-1", JOB, status)


async def test_news_only_moves_forward_and_an_end_is_final(db_pool: DbPool) -> None:
    await apply_migrations(db_pool, "generation", MIGRATIONS)

    assert await record(db_pool, JobStatus(JobState.QUEUED))
    assert await record(db_pool, JobStatus(JobState.RUNNING, 40))
    assert not await record(db_pool, JobStatus(JobState.RUNNING, 40))
    assert not await record(db_pool, JobStatus(JobState.RUNNING, 20))
    # A late "queued" with more progress: the progress counts, the job stays running.
    assert await record(db_pool, JobStatus(JobState.QUEUED, 50))
    assert (await provider_updates.latest(db_pool, JOB)) == JobStatus(JobState.RUNNING, 50)
    assert await record(db_pool, DONE)
    assert not await record(db_pool, DONE)
    assert not await record(db_pool, JobStatus(JobState.CANCELED))

    assert await provider_updates.latest(db_pool, JOB) == DONE
    assert await provider_updates.latest(db_pool, ProviderJob("fal", "req-2")) is None


async def test_a_recorded_callback_wakes_the_drivers_waiting_on_its_generation(
    db_pool: DbPool, database_url: str
) -> None:
    await apply_migrations(db_pool, "generation", MIGRATIONS)
    nudges = Nudges()
    woken: list[str] = []
    nudges.also_wake(lambda: woken.append("idle workers"))
    listening = asyncio.create_task(listen_for_webhooks(database_url, nudges))
    try:
        with nudges.watch("gen-1") as nudged, nudges.watch("gen-2") as other:
            # The listener connects in the background: record until its first nudge arrives.
            for progress in range(1, 100):
                await record(db_pool, JobStatus(JobState.RUNNING, progress))
                try:
                    await asyncio.wait_for(asyncio.shield(nudged.wait()), 0.1)
                    break
                except TimeoutError:
                    continue
            assert nudged.is_set()
            assert not other.is_set()
            assert woken
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
