"""The fuzzer against fakes of the credits API: careless methods are reported, careful ones not."""

from __future__ import annotations

import asyncio
from typing import Any

from libs.testing.tests.fuzz_feed import FEED, FOLLOW, feed_handler
from libs.testing.tests.fuzz_targets import (
    CREDITS,
    Behavior,
    handlers,
    serving,
    well_behaved_methods,
)

from atelier.credits.v1 import credits_pb2
from atelier_runtime.errors import InvalidArgument
from atelier_testing.grpc_fuzzer import Case, Finding, Trait, assert_no_findings, fuzz_service

SERVICE = CREDITS.full_name
GRANT, FREEZE, CONFIRM = f"{SERVICE}/Grant", f"{SERVICE}/Freeze", f"{SERVICE}/Confirm"
BALANCE, STATEMENT, ROLLBACK = (
    f"{SERVICE}/GetBalance",
    f"{SERVICE}/ListStatement",
    f"{SERVICE}/RollBack",
)
REVOKE = f"{SERVICE}/Revoke"
# What the fakes' validation refuses; the well-behaved service must refuse all of it.
REFUSED = frozenset(Trait) - {Trait.EMPTY, Trait.ZERO, Trait.UNICODE, Trait.EMPTY_REQUEST}


def refuses_everything_hostile(case: Case) -> bool:
    return case.trait in REFUSED


def credits_with(**overrides: Behavior) -> Any:
    return handlers(CREDITS, {**well_behaved_methods(CREDITS), **overrides})


def crashes_on_nul(careful: Behavior) -> Behavior:
    async def grant(request: Any) -> Any:
        if any("\x00" in value for value in (request.account_id, request.grant_id, request.source)):
            raise RuntimeError("a NUL byte reached the database driver")
        return await careful(request)

    return grant


async def echoes_unknown_account(request: Any) -> Any:
    if len(request.account_id) > 200:
        raise InvalidArgument(f"no account {request.account_id!r}", reason="UNKNOWN_ACCOUNT")
    return credits_pb2.GetBalanceResponse()


def hangs_on_huge_amounts(careful: Behavior) -> Behavior:
    async def freeze(request: Any) -> Any:
        if request.amount == 2**63 - 1:
            await asyncio.sleep(60)
        return await careful(request)

    return freeze


async def refuses_without_naming_the_field(request: Any) -> Any:
    if request.page_size < 0:
        raise InvalidArgument("bad page size", reason="BAD_PAGE")
    return credits_pb2.ListStatementResponse()


async def accepts_anything(request: Any) -> Any:
    return credits_pb2.RollBackResponse()


def grant_baseline() -> credits_pb2.GrantRequest:
    request = credits_pb2.GrantRequest(account_id="acct-7", grant_id="g-1", amount=10)
    request.expires_at.FromSeconds(1_900_000_000)
    return request


def found(findings: list[Finding], method: str) -> set[tuple[str, str, str]]:
    return {(f.field, f.value, f.code) for f in findings if f.method == method}


async def test_a_careful_service_has_no_findings() -> None:
    async def audit_is_clean() -> None:
        pass

    async with serving(SERVICE, credits_with()) as served:
        report = await fuzz_service(
            served.address,
            baselines={GRANT: grant_baseline()},
            must_refuse=refuses_everything_hostile,
            invariant=audit_is_clean,
        )

    assert_no_findings(report)
    assert sorted(report.methods) == sorted(f"{SERVICE}/{m.name}" for m in CREDITS.methods)
    assert report.cases > 200
    assert report.skipped == []


async def test_an_exception_on_a_nul_byte_is_reported_as_internal() -> None:
    careless = credits_with(Grant=crashes_on_nul(well_behaved_methods(CREDITS)["Grant"]))
    async with serving(SERVICE, careless) as served:
        report = await fuzz_service(served.address, methods=[GRANT, REVOKE])

    assert found(report.findings, GRANT) == {
        (field, "NUL byte ('x\\x00x')", "INTERNAL")
        for field in ("account_id", "grant_id", "source")
    }
    assert found(report.findings, REVOKE) == set()


async def test_an_input_echoed_into_the_error_is_reported() -> None:
    async with serving(SERVICE, credits_with(GetBalance=echoes_unknown_account)) as served:
        report = await fuzz_service(served.address, methods=[BALANCE])

    assert {(f.field, f.value) for f in report.findings} == {
        ("account_id", "100 KB string"),
        ("account_id", "1.2 MB string"),
    }


async def test_a_call_that_never_answers_is_reported_as_a_hang() -> None:
    careful = well_behaved_methods(CREDITS)["Freeze"]
    async with serving(SERVICE, credits_with(Freeze=hangs_on_huge_amounts(careful))) as served:
        report = await fuzz_service(served.address, methods=[FREEZE], deadline_s=0.5)

    [hang] = report.findings
    assert (hang.field, hang.code) == ("amount", "DEADLINE_EXCEEDED")
    assert "hang" in hang.problem


async def test_a_refusal_that_names_no_field_is_reported() -> None:
    careless = credits_with(ListStatement=refuses_without_naming_the_field)
    async with serving(SERVICE, careless) as served:
        report = await fuzz_service(served.address, methods=[STATEMENT])

    assert {(f.field, f.code) for f in report.findings} == {("page_size", "INVALID_ARGUMENT")}
    assert all("BadRequest" in f.problem for f in report.findings)


async def test_hostile_input_the_caller_requires_refused_is_reported_when_accepted() -> None:
    def nul_is_refused(case: Case) -> bool:
        return case.trait is Trait.NUL

    async with serving(SERVICE, credits_with(RollBack=accepts_anything)) as served:
        report = await fuzz_service(served.address, methods=[ROLLBACK], must_refuse=nul_is_refused)

    assert found(report.findings, ROLLBACK) == {
        ("account_id", "NUL byte ('x\\x00x')", "OK"),
        ("freeze_id", "NUL byte ('x\\x00x')", "OK"),
    }
    assert "must be refused with INVALID_ARGUMENT" in report.findings[0].problem


async def test_a_stream_is_read_to_its_end_so_a_late_failure_is_found() -> None:
    async with serving(FEED, feed_handler(crash_on_nul=True)) as served:
        report = await fuzz_service(served.address, must_refuse=refuses_everything_hostile)

    assert report.methods == [FOLLOW]
    assert found(report.findings, FOLLOW) == {("topic", "NUL byte ('x\\x00x')", "INTERNAL")}
    assert report.cases > 80


async def test_every_case_starts_from_a_fresh_baseline_from_the_callers_factory() -> None:
    received: list[str] = []
    careful = well_behaved_methods(CREDITS)["Grant"]

    async def grant(request: Any) -> Any:
        received.append(request.grant_id)
        return await careful(request)

    async def fresh_grant() -> credits_pb2.GrantRequest:
        request = grant_baseline()
        request.grant_id = f"g-{len(made)}"
        made.append(request.grant_id)
        return request

    made: list[str] = []
    async with serving(SERVICE, credits_with(Grant=grant)) as served:
        report = await fuzz_service(served.address, baselines={GRANT: fresh_grant}, methods=[GRANT])

    assert_no_findings(report)
    # One per case, plus the check after fuzzing that valid calls still succeed.
    assert len(made) == report.cases + 1 == len(received)
    unchanged = [grant_id for grant_id in received if grant_id in made]
    assert len(unchanged) == len(set(unchanged)) > report.cases / 2


async def test_a_refused_baseline_and_a_broken_invariant_are_findings() -> None:
    async def statements_advance() -> None:
        raise AssertionError("the statement did not advance")

    refused = credits_pb2.ConfirmRequest(account_id="acct\x007", freeze_id="f-1")
    async with serving(SERVICE, credits_with()) as served:
        report = await fuzz_service(
            served.address,
            baselines={CONFIRM: refused},
            methods=[CONFIRM],
            invariant=statements_advance,
        )

    assert [(f.method, f.value, f.problem) for f in report.findings] == [
        (CONFIRM, "baseline", "the caller's valid baseline was refused"),
        (CONFIRM, "baseline after fuzzing", "a valid call failed after fuzzing"),
        ("(invariant)", "after fuzzing", "AssertionError: the statement did not advance"),
    ]


async def test_a_service_that_stops_answering_ends_the_run() -> None:
    async def revoke(request: Any) -> Any:
        if "\x00" in request.account_id:
            stopping.append(asyncio.create_task(served.server.stop(0)))
            await asyncio.sleep(5)
        return credits_pb2.RevokeResponse()

    stopping: list[asyncio.Task[None]] = []
    async with serving(SERVICE, credits_with(Revoke=revoke)) as served:
        report = await fuzz_service(served.address, methods=[REVOKE, BALANCE], deadline_s=2)

    stopped = [f for f in report.findings if "stopped answering" in f.problem]
    assert [(f.method, f.field) for f in stopped] == [(REVOKE, "account_id")]
    assert report.methods == [REVOKE]
    assert any(f.problem == "not SERVING" for f in report.findings)
