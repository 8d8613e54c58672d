"""The admin API on the real composition root: audit and rebuild with progress, service tokens only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from services.credits.tests.integration.admin_support import (
    Credits,
    operator_token,
    running_admin,
    some_activity,
)
from services.credits.tests.integration.projection_support import balance_rows, line_rows

from atelier.credits.v1 import credits_admin_pb2, credits_pb2
from atelier_runtime.grpc_errors import error_details
from atelier_testing.ids import random_id

ACCOUNTS = 6


@pytest.fixture
async def credits(database_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Credits]:
    async with running_admin(database_url, nats_url, bus_prefix) as running:
        yield running


async def audit(credits: Credits, **request: str) -> list[credits_admin_pb2.AuditResponse]:
    call = credits.admin.Audit(credits_admin_pb2.AuditRequest(**request), metadata=operator_token())
    return [response async for response in call]


async def rebuild(credits: Credits) -> list[credits_admin_pb2.RebuildProjectionsResponse]:
    call = credits.admin.RebuildProjections(
        credits_admin_pb2.RebuildProjectionsRequest(), metadata=operator_token()
    )
    return [response async for response in call]


async def refusal(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call:
            pass
    return caught.value


async def test_an_audit_streams_progress_then_a_clean_report(credits: Credits) -> None:
    await some_activity(credits, ACCOUNTS)
    events: int = await credits.pool.fetchval("SELECT count(*) FROM credits_events")

    *progress, last = await audit(credits)

    assert progress
    assert all(p.WhichOneof("update") == "progress" for p in progress)
    assert progress[-1].progress == credits_admin_pb2.AuditProgress(
        accounts_checked=ACCOUNTS, events_checked=events, events_total=events
    )
    assert last.report == credits_admin_pb2.AuditReport(ok=True, accounts=ACCOUNTS, events=events)


async def test_a_corrupted_balance_row_is_reported_as_a_violation(credits: Credits) -> None:
    accounts = await some_activity(credits, ACCOUNTS)
    damaged = accounts[2]
    await credits.pool.execute(
        "UPDATE account_balances SET available = available + 1 WHERE account_id = $1", damaged
    )

    report = (await audit(credits))[-1].report
    one_other = (await audit(credits, account_id=accounts[0]))[-1].report

    assert not report.ok
    [violation] = report.violations
    assert (violation.account_id, violation.rule) == (damaged, "balance_projection")
    assert "available" in violation.detail
    assert (one_other.ok, one_other.accounts) == (True, 1)


async def test_a_rebuild_restores_balances_and_statements_identical_to_before(
    credits: Credits,
) -> None:
    await some_activity(credits, ACCOUNTS)
    balances, lines = await balance_rows(credits.pool), await line_rows(credits.pool)
    await credits.pool.execute("UPDATE account_balances SET available = available + 7")
    await credits.pool.execute("DELETE FROM statement_lines WHERE version % 2 = 0")

    *progress, last = await rebuild(credits)

    assert (await balance_rows(credits.pool), await line_rows(credits.pool)) == (balances, lines)
    events = len(lines) + ACCOUNTS  # every event but an account's Opened has a line
    assert last.summary == credits_admin_pb2.RebuildSummary(
        accounts=ACCOUNTS, events=events, statement_lines=len(lines)
    )
    assert progress[-1].progress == credits_admin_pb2.RebuildProgress(
        accounts_replayed=ACCOUNTS,
        events_replayed=events,
        events_projected=events,
        events_total=events,
    )
    assert (await audit(credits))[-1].report.ok


async def test_an_invalid_account_id_is_invalid_argument(credits: Credits) -> None:
    error = await refusal(
        credits.admin.Audit(
            credits_admin_pb2.AuditRequest(account_id=" x"), metadata=operator_token()
        )
    )

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_a_call_without_a_token_is_unauthenticated(credits: Credits) -> None:
    error = await refusal(credits.admin.Audit(credits_admin_pb2.AuditRequest()))

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "authorization: Bearer <JWT>" in (error.details() or "")


async def test_a_token_signed_with_another_secret_is_unauthenticated(credits: Credits) -> None:
    forged = operator_token(secret="not-this-platforms-secret-0123456789ab")

    error = await refusal(
        credits.admin.RebuildProjections(
            credits_admin_pb2.RebuildProjectionsRequest(), metadata=forged
        )
    )

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    info, _ = error_details(error)
    assert info is not None
    assert (info.reason, info.domain) == ("TOKEN_SIGNATURE_INVALID", "atelier.credits")


async def test_a_token_with_a_user_role_is_permission_denied(credits: Credits) -> None:
    error = await refusal(
        credits.admin.RebuildProjections(
            credits_admin_pb2.RebuildProjectionsRequest(), metadata=operator_token(role="user")
        )
    )

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "operator, service" in (error.details() or "")


async def test_a_service_without_a_secret_serves_the_ledger_and_refuses_admin_calls(
    database_url: str, nats_url: str, bus_prefix: str
) -> None:
    async with running_admin(database_url, nats_url, bus_prefix, secret=None) as credits:
        account = random_id("acct")
        await credits.ledger.Grant(
            credits_pb2.GrantRequest(account_id=account, grant_id="g1", amount=5)
        )

        error = await refusal(
            credits.admin.Audit(credits_admin_pb2.AuditRequest(), metadata=operator_token())
        )

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "ATELIER_JWT_SECRET" in (error.details() or "")
