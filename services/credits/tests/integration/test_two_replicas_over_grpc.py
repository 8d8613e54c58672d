"""Two credits services (two composition roots, their own caches, one database), called
alternately as a client balancing over replicas would: every answer reflects the latest write,
whichever replica took it, and either replica's sweeper rolls back the other's expired freeze."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from services.credits.tests.credits_service import fast_settings, running_credits

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_runtime.grpc_errors import error_details
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually

if TYPE_CHECKING:
    Stub = credits_pb2_grpc.CreditsServiceAsyncStub


@pytest.fixture
async def replicas(
    database_url: str, nats_url: str, bus_prefix: str
) -> AsyncIterator[tuple[Stub, Stub]]:
    async with AsyncExitStack() as stack:
        # Only the first sweeps: the second's expired freezes must be rolled back by it.
        first = await stack.enter_async_context(
            running_credits(fast_settings(database_url, nats_url, bus_prefix))
        )
        second = await stack.enter_async_context(
            running_credits(
                fast_settings(database_url, nats_url, bus_prefix, credits_sweep_interval_s=3600)
            )
        )
        yield first, second


async def _balance(stub: Stub, account: str) -> tuple[int, int]:
    reply = await stub.GetBalance(credits_pb2.GetBalanceRequest(account_id=account))
    return reply.balance.available, reply.balance.frozen


async def test_commands_alternating_between_replicas_see_each_others_writes(
    replicas: tuple[Stub, Stub],
) -> None:
    a, b = replicas
    account = random_id("acct")
    await a.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g1", amount=10))
    assert await _balance(b, account) == (10, 0)  # both caches are warm now

    await b.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g2", amount=100))
    assert await _balance(a, account) == (110, 0)
    await a.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="f1", amount=50))
    await b.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="f2", amount=20))
    confirmed = await a.Confirm(credits_pb2.ConfirmRequest(account_id=account, freeze_id="f2"))
    assert confirmed.confirmed == 20
    await b.RollBack(credits_pb2.RollBackRequest(account_id=account, freeze_id="f1"))

    with pytest.raises(grpc.aio.AioRpcError) as resolved:
        await a.Confirm(credits_pb2.ConfirmRequest(account_id=account, freeze_id="f1"))
    assert resolved.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as conflict:
        await a.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g2", amount=7))
    assert conflict.value.code() == grpc.StatusCode.ALREADY_EXISTS
    repeat = await a.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g2", amount=100))
    assert repeat.balance.available == 90
    assert await _balance(a, account) == await _balance(b, account) == (90, 0)


async def test_a_refusal_on_one_replica_never_rests_on_its_stale_copy(
    replicas: tuple[Stub, Stub],
) -> None:
    a, b = replicas
    account = random_id("acct")
    await a.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g1", amount=10))
    await a.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="f1", amount=10))
    await b.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g2", amount=50))

    frozen = await a.Freeze(
        credits_pb2.FreezeRequest(account_id=account, freeze_id="f2", amount=50)
    )

    assert frozen.balance.available == 0
    with pytest.raises(grpc.aio.AioRpcError) as short:
        await b.Freeze(credits_pb2.FreezeRequest(account_id=account, freeze_id="f3", amount=1))
    _, details = error_details(short.value)
    insufficient = credits_pb2.InsufficientCredits()
    assert any(detail.Unpack(insufficient) for detail in details)
    assert (insufficient.available, insufficient.requested) == (0, 1)


async def test_one_replicas_sweeper_rolls_back_a_freeze_the_other_recorded(
    replicas: tuple[Stub, Stub],
) -> None:
    a, b = replicas
    account = random_id("acct")
    await b.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g1", amount=10))
    await a.GetBalance(credits_pb2.GetBalanceRequest(account_id=account))  # warm a's cache
    await b.Freeze(
        credits_pb2.FreezeRequest(
            account_id=account, freeze_id="f1", amount=4, ttl=Duration(seconds=1)
        )
    )

    async def released() -> bool:
        reply = await b.GetBalance(credits_pb2.GetBalanceRequest(account_id=account))
        return reply.balance.version == 4  # opened, granted, frozen, rolled back by a sweep

    await eventually(released, 15, what="the expired freeze rolled back by the other replica")
    rolled = await b.RollBack(credits_pb2.RollBackRequest(account_id=account, freeze_id="f1"))
    assert (rolled.released, await _balance(b, account)) == (4, (10, 0))
