"""The statement projector on real PostgreSQL: complete, exactly once, resumable, measurable."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import asyncpg
import pytest
from services.credits.tests.integration.projection_support import (
    T0,
    Activity,
    expected_lines,
    line_rows,
    stored_lines,
)

from atelier_credits.adapters.balance_table import upsert_balances
from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.projection_position import load_position
from atelier_credits.adapters.statement_projector import (
    PROJECTION,
    ProjectionStalled,
    StatementProjector,
)
from atelier_credits.domain import CreditAccount
from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.relay_source import RelayCursor
from atelier_testing.infrastructure import Servers
from atelier_testing.polling import eventually

DEADLINE = 20.0


def projector(pool: DbPool, batch_size: int = 7) -> StatementProjector:
    # Small batches, so every test crosses several batch (and transaction) boundaries.
    return StatementProjector(pool, event_mapper(), batch_size=batch_size)


async def event_count(pool: DbPool) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM credits_events")
    return count


async def test_projector_writes_every_line_with_its_running_balance(pool: DbPool) -> None:
    await Activity(pool, seed=1).run(60)

    covered = await projector(pool).catch_up()

    assert covered == await event_count(pool)
    assert await stored_lines(pool) == await expected_lines(pool)


async def test_each_statement_ends_at_the_accounts_recorded_balance(pool: DbPool) -> None:
    await Activity(pool, seed=2).run(60)
    await projector(pool).catch_up()

    async with pool.acquire() as conn:
        mismatches = await conn.fetch(
            """
            SELECT b.account_id FROM account_balances b
            JOIN LATERAL (SELECT * FROM statement_lines l WHERE l.account_id = b.account_id
                          ORDER BY version DESC LIMIT 1) last ON true
            WHERE (last.available_after, last.frozen_after) <> (b.available, b.frozen)
            """
        )

    assert mismatches == []


async def test_a_restarted_projector_continues_where_the_last_one_stopped(pool: DbPool) -> None:
    activity = Activity(pool, seed=3)
    await activity.run(40)
    await projector(pool).catch_up()
    await activity.run(40)

    await projector(pool, batch_size=5).catch_up()

    assert await stored_lines(pool) == await expected_lines(pool)


async def test_a_projector_killed_mid_batch_neither_duplicates_nor_skips(pool: DbPool) -> None:
    await Activity(pool, seed=4).run(30)
    await projector(pool).project_once()
    victim = projector(pool)
    blocker = await pool.acquire()
    try:
        # An uncommitted line on the key the next batch writes makes the victim wait mid-batch,
        # after it has taken the lock and read its events: the worst moment to die.
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute(
            """
            INSERT INTO statement_lines
            SELECT b.account_id, e.originator_version, 'blocker', '', 0, 0, 0, '', now()
            FROM credits_events e JOIN account_balances b ON b.aggregate_id = e.originator_id
            WHERE (e.tx_id, e.notification_id) > (
                SELECT tx_id, notification_id FROM projection_positions WHERE projection = $1)
              AND e.originator_version > 1
            ORDER BY e.tx_id, e.notification_id LIMIT 1
            """,
            PROJECTION,
        )
        task = asyncio.create_task(victim.project_once())
        pid = await wait_for_backend_waiting_on_insert(pool)
        async with pool.acquire() as conn:
            await conn.execute("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
            await task
        await transaction.rollback()
    finally:
        await pool.release(blocker)

    await projector(pool).catch_up()

    assert await stored_lines(pool) == await expected_lines(pool)


async def wait_for_backend_waiting_on_insert(pool: DbPool) -> int:
    found: list[int] = []

    async def waiting_on_insert() -> bool:
        pid = await pool.fetchval(
            """
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND query LIKE '%INSERT INTO statement_lines%'
            """
        )
        found.extend([] if pid is None else [int(pid)])
        return bool(found)

    await eventually(waiting_on_insert, DEADLINE, what="a projector blocked on its insert")
    return found[0]


async def test_racing_projectors_project_each_event_exactly_once(pool: DbPool) -> None:
    activity = Activity(pool, seed=5, accounts=3)
    writing = asyncio.create_task(activity.run(80))
    first, second = projector(pool, batch_size=3), projector(pool, batch_size=4)

    async def keep_projecting(one: StatementProjector) -> None:
        while not writing.done():
            await one.project_once()
            await asyncio.sleep(0)

    await asyncio.gather(writing, keep_projecting(first), keep_projecting(second))
    await asyncio.gather(first.catch_up(), second.catch_up())
    await first.catch_up()

    assert await stored_lines(pool) == await expected_lines(pool)


async def test_an_older_transaction_committing_late_is_projected_not_skipped(
    pool: DbPool,
) -> None:
    late_account = CreditAccount.open("acct-late", T0)
    late_account.grant("g1", 5, T0)
    async with pool.acquire() as late:
        transaction = late.transaction()
        await transaction.start()
        await late.execute("SELECT pg_current_xact_id()")  # takes the older transaction id now
        await Activity(pool, seed=9, accounts=1).run(10)
        await projector(pool).catch_up()
        # Newer commits wait behind the open transaction: nothing may be passed over yet.
        assert await line_rows(pool) == []
        await append_by_hand(late, late_account)
        await transaction.commit()

    await projector(pool).catch_up()

    lines = await stored_lines(pool)
    assert lines == await expected_lines(pool)
    assert "acct-late" in lines


async def test_a_long_transaction_in_another_database_does_not_hold_the_projector_back(
    pool: DbPool, servers: Servers
) -> None:
    neighbour = await asyncpg.connect(servers.postgres_admin_url)
    long_running = neighbour.transaction()
    await long_running.start()
    await neighbour.fetchval("SELECT pg_current_xact_id()")  # as a writer over there would
    try:
        await Activity(pool, seed=10, accounts=1).run(10)
        await projector(pool).catch_up()

        assert await stored_lines(pool) == await expected_lines(pool) != {}
    finally:
        await long_running.rollback()
        await neighbour.close()


async def append_by_hand(conn: DbConnection, account: CreditAccount) -> None:
    """What the store does in its transaction: the events, then the balance row."""
    mapper = event_mapper()
    stored = [mapper.to_stored_event(event) for event in account.collect_events()]
    await conn.executemany(
        "INSERT INTO credits_events (originator_id, originator_version, topic, state)"
        " VALUES ($1, $2, $3, $4)",
        [(s.originator_id, s.originator_version, s.topic, s.state) for s in stored],
    )
    await upsert_balances(conn, [account])


async def test_lag_counts_unprojected_events_and_the_age_of_the_oldest(pool: DbPool) -> None:
    activity = Activity(pool, seed=6)
    await activity.run(20)
    watched = projector(pool)
    later = activity.clock.now + timedelta(minutes=10)

    before = await watched.lag(now=later)
    await watched.catch_up()
    after = await watched.lag(now=later)

    assert before.events == await event_count(pool)
    assert before.seconds >= 600
    assert (after.events, after.seconds) == (0, 0.0)


async def test_run_keeps_projecting_until_cancelled(pool: DbPool) -> None:
    activity = Activity(pool, seed=7)
    running = asyncio.create_task(projector(pool).run(poll_interval=0.02, lag_log_interval=0.0))
    try:
        await activity.run(30)
        await wait_until_caught_up(projector(pool))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

    assert await stored_lines(pool) == await expected_lines(pool)


async def wait_until_caught_up(watcher: StatementProjector) -> None:
    # Another process's progress shows only in the database: polling it is the only way.
    async def caught_up() -> bool:
        return (await watcher.lag()).events == 0

    await eventually(caught_up, DEADLINE, what="the projection caught up")


async def test_an_event_of_an_account_without_a_row_stalls_the_projector(pool: DbPool) -> None:
    await Activity(pool, seed=8, accounts=1).run(10)
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM account_balances")

    with pytest.raises(ProjectionStalled):
        await projector(pool).project_once()

    async with pool.acquire() as conn:
        assert await load_position(conn, PROJECTION) == RelayCursor()
    assert await line_rows(pool) == []
