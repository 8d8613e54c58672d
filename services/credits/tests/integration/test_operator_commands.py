"""`atelier credits audit` and `atelier replay` against a running credits service, as an operator runs them."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator

import pytest
from services.credits.tests.integration.admin_support import (
    SECRET,
    Credits,
    running_admin,
    some_activity,
)
from services.credits.tests.integration.projection_support import line_rows

from atelier_cli.credits_audit import run_audit
from atelier_cli.platform_access import CreditsAdminTarget
from atelier_cli.replay_command import run_replay
from atelier_credits.adapters.audit_reader import audit_database
from atelier_credits.adapters.memory_store import event_mapper
from atelier_localinfra import free_port

ACCOUNTS = 3


@pytest.fixture
async def credits(database_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Credits]:
    async with running_admin(database_url, nats_url, bus_prefix) as running:
        yield running


@pytest.fixture
async def accounts(credits: Credits) -> list[str]:
    return await some_activity(credits, ACCOUNTS)


def target(credits: Credits, secret: str = SECRET) -> CreditsAdminTarget:
    return CreditsAdminTarget(address=credits.address, jwt_secret=secret)


def nowhere() -> CreditsAdminTarget:
    return CreditsAdminTarget(address=f"127.0.0.1:{free_port()}", jwt_secret=SECRET)


async def audit_command(at: CreditsAdminTarget, account: str | None = None, *, json: bool) -> int:
    # The commands own their event loop, as the `atelier` command does.
    return await asyncio.to_thread(run_audit, at, account, json)


async def test_a_sound_ledger_passes_and_exits_zero(
    credits: Credits, accounts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await audit_command(target(credits), json=False) == 0

    out = capsys.readouterr().out
    assert f"audited {ACCOUNTS} accounts" in out
    assert "OK: every invariant holds" in out


async def test_a_corrupted_balance_row_exits_one_with_the_audits_own_json(
    credits: Credits, accounts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    await credits.pool.execute(
        "UPDATE account_balances SET available = available + 1 WHERE account_id = $1", accounts[1]
    )
    async with credits.pool.acquire() as conn:
        report = await audit_database(conn, event_mapper())

    assert await audit_command(target(credits), json=True) == 1

    output = json.loads(capsys.readouterr().out)
    assert output == {
        "ok": False,
        "accounts": report.accounts,
        "events": report.events,
        "violations": [dataclasses.asdict(v) for v in report.violations],
    }
    assert [v["account"] for v in output["violations"]] == [accounts[1]]


async def test_a_corrupted_statement_line_is_printed_with_its_version(
    credits: Credits, accounts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    await credits.pool.execute(
        "UPDATE statement_lines SET amount = amount + 1 WHERE account_id = $1 AND version = 3",
        accounts[0],
    )

    assert await audit_command(target(credits), accounts[0], json=False) == 1

    out = capsys.readouterr().out
    assert "audited 1 accounts" in out
    assert f"{accounts[0]} v3  statement_projection:" in out
    assert "FAILED: 1 violations" in out


async def test_an_unreachable_credits_service_exits_two(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await audit_command(nowhere(), json=False) == 2
    assert "cannot audit the credits ledger: UNAVAILABLE" in capsys.readouterr().err


async def test_a_secret_the_service_does_not_share_exits_two_and_says_so(
    credits: Credits, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = target(credits, secret="a-secret-of-another-platform-0123456789")

    assert await audit_command(stranger, json=True) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "UNAUTHENTICATED [TOKEN_SIGNATURE_INVALID]" in captured.err


async def test_replay_rebuilds_deleted_lines_and_exits_zero(
    credits: Credits, accounts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    lines = await line_rows(credits.pool)
    await credits.pool.execute("DELETE FROM statement_lines")

    assert await asyncio.to_thread(run_replay, target(credits)) == 0

    assert await line_rows(credits.pool) == lines
    out = capsys.readouterr().out
    assert f"{ACCOUNTS} account balances, {len(lines)} statement lines" in out


async def test_replay_exits_one_when_the_credits_service_is_unreachable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await asyncio.to_thread(run_replay, nowhere()) == 1
    assert "cannot rebuild the credits projections: UNAVAILABLE" in capsys.readouterr().err
