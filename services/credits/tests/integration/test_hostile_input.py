"""Hostile input at the credits door: each is INVALID_ARGUMENT naming the field, quoted short,
and none of it reaches the log, the relay or the statement projection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2  # type: ignore[import-untyped]
from services.credits.tests.credits_service import fast_settings, running_credits

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_runtime.grpc_errors import error_details
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually

if TYPE_CHECKING:
    Stub = credits_pb2_grpc.CreditsServiceAsyncStub

HUGE = "x" * 100_000


@pytest.fixture
async def stub(database_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Stub]:
    async with running_credits(fast_settings(database_url, nats_url, bus_prefix)) as connected:
        yield connected


async def _refused_field(call: Any) -> str:
    """The field a refusal names; the call must be INVALID_ARGUMENT with a short message."""
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(refused.value.details() or "") < 400
    _, details = error_details(refused.value)
    bad_request = error_details_pb2.BadRequest()
    assert any(detail.Unpack(bad_request) for detail in details)
    return str(bad_request.field_violations[0].field)


def _grant(account: str, **fields: Any) -> credits_pb2.GrantRequest:
    return credits_pb2.GrantRequest(
        **{"account_id": account, "grant_id": "g1", "amount": 5, **fields}
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"grant_id": "g\x00"}, "grant_id"),
        ({"grant_id": "g\x1b[31m"}, "grant_id"),
        ({"grant_id": HUGE}, "grant_id"),
        ({"source": "daily\x00"}, "source"),
        ({"reference": "in_\x00"}, "reference"),
        ({"reference": "r" * 1_200_000}, "reference"),
        ({"amount": 2**63 - 1}, "amount"),
        ({"amount": -5}, "amount"),
        ({"priority": 2**31 - 1 + 0}, None),
        ({"expires_at": Timestamp(seconds=-(2**62))}, "expires_at"),
        ({"expires_at": Timestamp(seconds=253_402_300_800)}, "expires_at"),  # year 10000
        ({"expires_at": Timestamp(seconds=10, nanos=-1)}, "expires_at"),
    ],
)
async def test_a_hostile_grant_is_refused_naming_its_field(
    stub: Stub, fields: dict[str, Any], field: str | None
) -> None:
    account = random_id("acct")
    if field is None:  # the largest priority is a legitimate value
        await stub.Grant(_grant(account, **fields))
        return
    assert await _refused_field(stub.Grant(_grant(account, **fields))) == field


@pytest.mark.parametrize("account", ["acct-\x00", "", HUGE, " acct", "acct\n"])
async def test_a_hostile_account_id_is_refused_by_every_method(stub: Stub, account: str) -> None:
    calls = [
        stub.Grant(_grant(account)),
        stub.GetBalance(credits_pb2.GetBalanceRequest(account_id=account)),
        stub.ListStatement(credits_pb2.ListStatementRequest(account_id=account)),
        stub.Confirm(credits_pb2.ConfirmRequest(account_id=account, freeze_id="f1")),
    ]
    for call in calls:
        assert await _refused_field(call) == "account_id"


@pytest.mark.parametrize(
    "ttl",
    [
        Duration(seconds=2**62),
        Duration(seconds=-5),
        Duration(seconds=0),
        Duration(seconds=1, nanos=-(10**9)),
        Duration(seconds=1, nanos=-1),
        Duration(seconds=8 * 24 * 3600),
    ],
)
async def test_a_ttl_out_of_range_is_refused(stub: Stub, ttl: Duration) -> None:
    account = random_id("acct")
    await stub.Grant(_grant(account))
    freeze = credits_pb2.FreezeRequest(account_id=account, freeze_id="f1", amount=1, ttl=ttl)
    assert await _refused_field(stub.Freeze(freeze)) == "ttl"


@pytest.mark.parametrize("token", ["9" * 30, "abc", "²", "-1", "1\x00"])
async def test_a_page_token_this_service_never_issued_is_refused(stub: Stub, token: str) -> None:
    request = credits_pb2.ListStatementRequest(account_id=random_id("acct"), page_token=token)
    assert await _refused_field(stub.ListStatement(request)) == "page_token"


async def test_an_unknown_rollback_reason_is_refused(stub: Stub) -> None:
    unknown = credits_pb2.RollbackReason.ValueType(99)
    request = credits_pb2.RollBackRequest(
        account_id=random_id("acct"), freeze_id="f", reason=unknown
    )
    assert await _refused_field(stub.RollBack(request)) == "reason"


async def test_one_hostile_command_never_fails_other_accounts_commands(stub: Stub) -> None:
    accounts = [random_id("acct") for _ in range(300)]
    accounts[150] = "acct-\x00-evil"

    async def grant(account: str) -> grpc.StatusCode:
        try:
            await stub.Grant(_grant(account))
        except grpc.aio.AioRpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    outcomes = await asyncio.gather(*(grant(account) for account in accounts))

    assert outcomes.count(grpc.StatusCode.OK) == 299
    assert outcomes[150] == grpc.StatusCode.INVALID_ARGUMENT


async def test_after_hostile_input_statements_still_advance(stub: Stub) -> None:
    account = random_id("acct")
    for fields in ({"source": "\x00"}, {"reference": "r" * 1_200_000}, {"grant_id": "\x00"}):
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Grant(_grant(account, **fields))
    await stub.Grant(_grant(account, grant_id="g-ok", reference="invoice in_123"))

    async def projected() -> bool:
        request = credits_pb2.ListStatementRequest(account_id=account)
        lines = (await stub.ListStatement(request)).lines
        return [(line.entry_id, line.reference) for line in lines] == [("g-ok", "invoice in_123")]

    await eventually(projected, 10, what="the valid grant on the statement")
