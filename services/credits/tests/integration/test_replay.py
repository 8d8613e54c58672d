"""Rebuilding the projections from the log yields exactly the rows kept live."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from services.credits.tests.integration.projection_support import (
    Activity,
    balance_rows,
    line_rows,
    rows,
)

from atelier_credits.adapters.audit_reader import audit_database
from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.replay import RebuildProgress, RebuildSummary, rebuild_projections
from atelier_credits.adapters.statement_projector import StatementProjector
from atelier_runtime.db import DbPool

POSITIONS = "SELECT projection, tx_id::text, notification_id FROM projection_positions"


async def live_projections(pool: DbPool, seed: int) -> None:
    """Activity with its balances kept by the store and its lines by the projector."""
    activity = Activity(pool, seed=seed, accounts=5)
    await activity.run(50)
    await StatementProjector(pool, event_mapper(), batch_size=9).catch_up()
    await activity.run(50)
    await StatementProjector(pool, event_mapper()).catch_up()


async def test_a_rebuild_yields_identical_balances_lines_and_position(pool: DbPool) -> None:
    await live_projections(pool, seed=11)
    balances, lines, positions = (
        await balance_rows(pool),
        await line_rows(pool),
        await rows(pool, POSITIONS),
    )

    summary = await rebuild_projections(pool, event_mapper(), batch_size=7)

    assert await balance_rows(pool) == balances
    assert await line_rows(pool) == lines
    assert await rows(pool, POSITIONS) == positions
    assert summary.accounts == len(balances)
    assert summary.lines == len(lines)


async def test_a_rebuild_repairs_damaged_projections(pool: DbPool) -> None:
    await live_projections(pool, seed=12)
    balances, lines = await balance_rows(pool), await line_rows(pool)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE account_balances SET available = available + 7")
        await conn.execute("DELETE FROM statement_lines WHERE version % 3 = 0")
        await conn.execute("UPDATE statement_lines SET amount = -1 WHERE version % 3 = 1")

    await rebuild_projections(pool, event_mapper())

    assert await balance_rows(pool) == balances
    assert await line_rows(pool) == lines


async def test_the_projector_carries_on_after_a_rebuild(pool: DbPool) -> None:
    await live_projections(pool, seed=13)
    await rebuild_projections(pool, event_mapper())
    await Activity(pool, seed=14, accounts=2).run(30)
    await StatementProjector(pool, event_mapper()).catch_up()
    balances, lines = await balance_rows(pool), await line_rows(pool)

    await rebuild_projections(pool, event_mapper())

    assert (await balance_rows(pool), await line_rows(pool)) == (balances, lines)


async def test_ledger_writes_during_a_rebuild_land_on_top_of_it(pool: DbPool) -> None:
    await live_projections(pool, seed=16)
    writing = asyncio.create_task(Activity(pool, seed=17, accounts=3).run(60))
    for _ in range(3):
        await rebuild_projections(pool, event_mapper(), batch_size=5)
    await writing
    await StatementProjector(pool, event_mapper()).catch_up()
    balances, lines = await balance_rows(pool), await line_rows(pool)

    await rebuild_projections(pool, event_mapper())

    assert (await balance_rows(pool), await line_rows(pool)) == (balances, lines)
    async with pool.acquire() as conn:
        assert (await audit_database(conn, event_mapper())).ok


async def test_a_rebuild_gives_up_rather_than_queue_ledger_writes_behind_a_reader(
    pool: DbPool,
) -> None:
    await live_projections(pool, seed=18)
    async with pool.acquire() as reader, reader.transaction():
        await reader.fetchval("SELECT count(*) FROM account_balances")

        with pytest.raises(asyncpg.LockNotAvailableError):
            await rebuild_projections(pool, event_mapper(), lock_timeout_ms=50)


async def test_a_rebuild_reports_progress_through_both_passes_over_the_log(pool: DbPool) -> None:
    await live_projections(pool, seed=19)
    seen: list[RebuildProgress] = []

    summary = await rebuild_projections(pool, event_mapper(), batch_size=3, on_progress=seen.append)

    total = summary.events
    assert seen[-1] == RebuildProgress(summary.accounts, total, total, total)
    replayed = [p.events_replayed for p in seen]
    projected = [p.events_projected for p in seen]
    assert (replayed, projected) == (sorted(replayed), sorted(projected))
    assert len(seen) > 2


async def test_a_rebuild_of_an_empty_log_empties_the_projections(pool: DbPool) -> None:
    assert await rebuild_projections(pool, event_mapper()) == RebuildSummary(0, 0, 0)
    assert await balance_rows(pool) == []
