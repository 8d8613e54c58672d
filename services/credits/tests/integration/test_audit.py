"""The audit over a real credits database: clean logs pass, damage is reported."""

from __future__ import annotations

import dataclasses

import pytest
from services.credits.tests.integration.projection_support import Activity

from atelier_credits.adapters.audit_reader import AuditProgress, audit_database
from atelier_credits.adapters.log_rows import EVENT_COLUMNS, domain_event
from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.statement_projector import StatementProjector
from atelier_credits.application.audit import AuditReport
from atelier_credits.domain import CreditAccount
from atelier_runtime.db import DbPool


@pytest.fixture
async def pool(pool: DbPool) -> DbPool:
    """The fresh credits database, with four accounts' activity projected."""
    await Activity(pool, seed=21, accounts=4).run(80)
    await StatementProjector(pool, event_mapper()).catch_up()
    return pool


async def audited(pool: DbPool, account_id: str | None = None) -> AuditReport:
    async with pool.acquire() as conn:
        return await audit_database(conn, event_mapper(), account_id=account_id)


def violated(report: AuditReport) -> set[tuple[str, str]]:
    return {(v.account, v.rule) for v in report.violations}


async def test_an_untouched_ledger_passes_the_audit(pool: DbPool) -> None:
    report = await audited(pool)

    assert report.ok
    assert report.accounts == 4


async def test_a_corrupted_balance_row_fails_the_audit(pool: DbPool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE account_balances SET available = available + 1 WHERE account_id = 'acct-21-2'"
        )

    report = await audited(pool)

    assert violated(report) == {("acct-21-2", "balance_projection")}


async def test_a_corrupted_statement_line_fails_the_audit(pool: DbPool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            """
            UPDATE statement_lines SET available_after = available_after - 3
            WHERE (account_id, version) = (
                SELECT account_id, max(version) FROM statement_lines
                WHERE account_id = 'acct-21-1' GROUP BY account_id)
            """
        )

    report = await audited(pool)

    assert violated(report) == {("acct-21-1", "statement_projection")}
    assert "available_after" in report.violations[0].detail


async def test_deleted_and_stray_lines_fail_the_audit(pool: DbPool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "DELETE FROM statement_lines WHERE account_id = 'acct-21-0' AND version = 2"
        )
        await conn.execute(
            "INSERT INTO statement_lines"
            " VALUES ('acct-ghost', 2, 'granted', 'g', 1, 1, 0, '', now())"
        )

    report = await audited(pool)

    assert violated(report) == {
        ("acct-21-0", "statement_projection"),
        ("acct-ghost", "statement_projection"),
    }


async def test_a_forged_second_settlement_in_the_log_fails_the_audit(pool: DbPool) -> None:
    mapper = event_mapper()
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {EVENT_COLUMNS} FROM credits_events ORDER BY notification_id"
        )
        events = [domain_event(mapper, row) for row in rows]
        settled = next(e for e in events if type(e).__name__ in ("Confirmed", "RolledBack"))
        last = max(e.originator_version for e in events if e.originator_id == settled.originator_id)
        again = mapper.to_stored_event(dataclasses.replace(settled, originator_version=last + 1))
        await conn.execute(
            "INSERT INTO credits_events (originator_id, originator_version, topic, state)"
            " VALUES ($1, $2, $3, $4)",
            again.originator_id,
            again.originator_version,
            again.topic,
            again.state,
        )

    report = await audited(pool)

    assert {v.rule for v in report.violations} == {"freeze_resolved_at_most_once"}
    assert report.violations[0].version == last + 1


async def test_events_not_yet_projected_are_not_missing_lines(pool: DbPool) -> None:
    await Activity(pool, seed=22, accounts=2).run(20)

    report = await audited(pool)

    assert report.ok
    assert report.accounts == 6


async def test_an_audit_of_one_account_reads_only_that_account(pool: DbPool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("UPDATE account_balances SET version = 0 WHERE account_id = 'acct-21-3'")
        events: int = await conn.fetchval(
            "SELECT count(*) FROM credits_events WHERE originator_id = $1",
            CreditAccount.id_for("acct-21-0"),
        )

    alone = await audited(pool, "acct-21-0")
    damaged = await audited(pool, "acct-21-3")

    assert (alone.ok, alone.accounts, alone.events) == (True, 1, events)
    assert violated(damaged) == {("acct-21-3", "balance_projection")}


async def test_progress_reaches_the_whole_log(pool: DbPool) -> None:
    seen: list[AuditProgress] = []
    async with pool.acquire() as conn:
        total: int = await conn.fetchval("SELECT count(*) FROM credits_events")
        await audit_database(conn, event_mapper(), on_progress=seen.append)

    assert seen[-1] == AuditProgress(accounts=4, events=total, events_total=total)
    assert [p.events for p in seen] == sorted(p.events for p in seen)
    assert [p.accounts for p in seen] == list(range(1, 5))


async def test_a_projection_that_stopped_while_events_wait_fails_the_audit(pool: DbPool) -> None:
    await Activity(pool, seed=23, accounts=1).run(5)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE credits_events SET recorded_at = now() - interval '10 minutes'")

    report = await audited(pool)

    assert violated(report) == {("*", "projection_advances")}
    assert "wait for the statement projection" in report.violations[0].detail
