"""The credits gRPC API end to end on the real composition root: typed errors, statements, events out."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import nats
import pytest
from google.protobuf.duration_pb2 import Duration
from services.credits.tests.credits_service import fast_settings, running_credits

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier.events.v1 import credits_pb2 as events_pb2
from atelier.events.v1 import envelope_pb2
from atelier_credits.domain import CreditAccount
from atelier_runtime.bus_names import BusNames
from atelier_runtime.grpc_errors import error_details
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually

if TYPE_CHECKING:
    Stub = credits_pb2_grpc.CreditsServiceAsyncStub


@pytest.fixture
async def stub(database_url: str, nats_url: str, bus_prefix: str) -> AsyncIterator[Stub]:
    async with running_credits(fast_settings(database_url, nats_url, bus_prefix)) as connected:
        yield connected


async def _rpc_error(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def _grant(stub: Stub, account: str, amount: int, grant_id: str = "g1") -> None:
    await stub.Grant(credits_pb2.GrantRequest(account_id=account, grant_id=grant_id, amount=amount))


async def test_a_freeze_beyond_the_balance_is_refused_with_available_and_requested(
    stub: Stub,
) -> None:
    account = random_id("acct")
    await _grant(stub, account, 10)

    error = await _rpc_error(
        stub.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="gen-1", amount=11))
    )

    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    info, details = error_details(error)
    assert info is not None
    assert info.reason == "INSUFFICIENT_CREDITS"
    shortage = credits_pb2.InsufficientCredits()
    assert details[0].Unpack(shortage)
    assert (shortage.account_id, shortage.available, shortage.requested) == (account, 10, 11)


async def test_reusing_a_grant_id_with_other_arguments_is_already_exists(stub: Stub) -> None:
    account = random_id("acct")
    await _grant(stub, account, 10)

    error = await _rpc_error(
        stub.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g1", amount=11))
    )

    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    conflict = credits_pb2.IdempotencyConflict()
    assert error_details(error)[1][0].Unpack(conflict)
    assert conflict.id == "g1"
    assert "amount=10" in conflict.existing


async def test_a_repeated_freeze_returns_the_first_result_and_freezes_once(stub: Stub) -> None:
    account = random_id("acct")
    await _grant(stub, account, 10)
    request = credits_pb2.FreezeRequest(account_id=account, freeze_id="gen-1", amount=4)

    first = await stub.Freeze(request)
    again = await stub.Freeze(request)

    assert (again.freeze_id, again.amount, again.expires_at) == (
        first.freeze_id,
        first.amount,
        first.expires_at,
    )
    assert again.balance.frozen == 4
    assert again.balance.available == 6


async def test_confirming_a_rolled_back_freeze_is_a_failed_precondition(stub: Stub) -> None:
    account = random_id("acct")
    await _grant(stub, account, 10)
    await stub.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="gen-1", amount=4))
    rolled = await stub.RollBack(
        credits_pb2.RollBackRequest(
            account_id=account, freeze_id="gen-1", reason=credits_pb2.ROLLBACK_REASON_CANCELED
        )
    )
    assert rolled.released == 4
    assert rolled.balance.available == 10

    error = await _rpc_error(
        stub.Confirm(credits_pb2.ConfirmRequest(account_id=account, freeze_id="gen-1"))
    )

    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    resolved = credits_pb2.FreezeAlreadyResolved()
    assert error_details(error)[1][0].Unpack(resolved)
    assert (resolved.resolution, resolved.reason) == ("rolled_back", "canceled")


async def test_a_partial_confirm_consumes_part_and_releases_the_rest(stub: Stub) -> None:
    account = random_id("acct")
    await _grant(stub, account, 10)
    await stub.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="gen-1", amount=6))

    confirmed = await stub.Confirm(
        credits_pb2.ConfirmRequest(account_id=account, freeze_id="gen-1", amount=4)
    )

    assert (confirmed.confirmed, confirmed.released) == (4, 2)
    assert (confirmed.balance.available, confirmed.balance.consumed, confirmed.balance.frozen) == (
        6,
        4,
        0,
    )


async def test_bad_input_is_invalid_argument_with_a_reason(stub: Stub) -> None:
    error = await _rpc_error(
        stub.Grant(credits_pb2.GrantRequest(account_id="", grant_id="g1", amount=5))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, _ = error_details(error)
    assert info is not None
    assert info.reason == "INVALID_ID"


async def test_the_statement_lists_every_movement_newest_first_in_pages(stub: Stub) -> None:
    account = random_id("acct")
    await _grant(stub, account, 10)
    await stub.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="gen-1", amount=4))
    await stub.Confirm(credits_pb2.ConfirmRequest(account_id=account, freeze_id="gen-1"))

    async def three_lines() -> bool:
        reply = await stub.ListStatement(
            credits_pb2.ListStatementRequest(account_id=account, page_size=10)
        )
        return len(reply.lines) == 3

    await eventually(three_lines, what="three statement lines")
    first = await stub.ListStatement(
        credits_pb2.ListStatementRequest(account_id=account, page_size=2)
    )
    rest = await stub.ListStatement(
        credits_pb2.ListStatementRequest(
            account_id=account, page_size=2, page_token=first.next_page_token
        )
    )
    lines = [*first.lines, *rest.lines]
    assert [line.kind for line in lines] == ["confirmed", "frozen", "granted"]
    assert [line.available_after for line in lines] == [6, 6, 10]
    assert rest.next_page_token == ""


async def test_every_ledger_event_is_published_with_its_stream_version_as_message_id(
    stub: Stub, nats_url: str, bus_prefix: str
) -> None:
    account = random_id("acct")
    await _grant(stub, account, 10)
    await stub.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="gen-1", amount=4))
    names = BusNames(bus_prefix)
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()

        async def three_messages() -> bool:
            return (await js.stream_info(names.stream("credits"))).state.messages >= 3

        await eventually(three_messages, what="three published ledger events")
        messages = [await js.get_msg(names.stream("credits"), seq=seq) for seq in (1, 2, 3)]
    finally:
        await client.close()

    stream_id = CreditAccount.id_for(account)
    assert [m.headers["Nats-Msg-Id"] for m in messages if m.headers] == [
        f"{stream_id}:{v}" for v in (1, 2, 3)
    ]
    assert [m.subject for m in messages] == [
        names.subject("credits", "opened"),
        names.subject("credits", "granted"),
        names.subject("credits", "frozen"),
    ]
    frozen = events_pb2.CreditsFrozen()
    assert messages[2].data is not None
    envelope = envelope_pb2.Envelope.FromString(messages[2].data)
    assert envelope.payload.Unpack(frozen)
    assert (envelope.subject_id, frozen.freeze_id, frozen.amount) == (account, "gen-1", 4)


async def test_a_freeze_left_past_its_ttl_is_rolled_back_as_expired_by_the_sweeper(
    stub: Stub,
) -> None:
    account = random_id("acct")
    await _grant(stub, account, 10)
    await stub.Freeze(
        credits_pb2.FreezeRequest(
            account_id=account, freeze_id="gen-1", amount=4, ttl=Duration(seconds=1)
        )
    )

    async def rolled_back_line() -> bool:
        reply = await stub.ListStatement(credits_pb2.ListStatementRequest(account_id=account))
        return any(line.kind == "rolled_back" for line in reply.lines)

    await eventually(rolled_back_line, within_s=15, what="the sweeper's rollback")
    error = await _rpc_error(
        stub.Confirm(credits_pb2.ConfirmRequest(account_id=account, freeze_id="gen-1"))
    )
    resolved = credits_pb2.FreezeAlreadyResolved()
    assert error_details(error)[1][0].Unpack(resolved)
    assert resolved.reason == "expired"


async def test_a_published_event_carries_the_trace_of_the_request_that_recorded_it(
    stub: Stub, nats_url: str, bus_prefix: str
) -> None:
    account, trace_id = random_id("acct"), secrets.token_hex(16)
    caller = (("traceparent", f"00-{trace_id}-{secrets.token_hex(8)}-01"),)
    await stub.Grant(
        credits_pb2.GrantRequest(account_id=account, grant_id="g1", amount=5, reference="in_1"),
        metadata=caller,
    )
    names = BusNames(bus_prefix)
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()

        async def two_messages() -> bool:
            return (await js.stream_info(names.stream("credits"))).state.messages >= 2

        await eventually(two_messages, what="the opened and granted events")
        granted = await js.get_msg(names.stream("credits"), seq=2)
    finally:
        await client.close()

    assert granted.headers is not None
    assert granted.headers["traceparent"].split("-")[1] == trace_id
    payload = events_pb2.CreditsGranted()
    assert granted.data is not None
    assert envelope_pb2.Envelope.FromString(granted.data).payload.Unpack(payload)
    assert payload.reference == "in_1"
