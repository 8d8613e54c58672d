"""The calls the benchmark makes, identical for both sides: one cycle, grants, and the check sum."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from atelier.credits.v1 import credits_pb2

if TYPE_CHECKING:
    from atelier.credits.v1 import credits_pb2_grpc

    # The async flavour exists in the generated type stubs only.
    Stub = credits_pb2_grpc.CreditsServiceAsyncStub

Item = TypeVar("Item")

# Generous: a timed-out call is an error in the report, never a silent retry.
CALL_TIMEOUT_S = 30.0
CREDITS_PER_CYCLE = 1


async def one_cycle(stub: Stub, account_id: str, freeze_id: str) -> None:
    """One generation's worth of ledger work: freeze the cost, then confirm all of it."""
    await stub.Freeze(
        credits_pb2.FreezeRequest(
            account_id=account_id, freeze_id=freeze_id, amount=CREDITS_PER_CYCLE
        ),
        timeout=CALL_TIMEOUT_S,
    )
    await stub.Confirm(
        credits_pb2.ConfirmRequest(account_id=account_id, freeze_id=freeze_id),
        timeout=CALL_TIMEOUT_S,
    )


async def for_each(
    items: Iterable[Item], work: Callable[[Item], Awaitable[None]], concurrency: int
) -> None:
    """Runs `work` on every item, at most `concurrency` at a time."""
    remaining = iter(items)

    async def worker() -> None:
        # The workers share one iterator, so each item is taken exactly once.
        for item in remaining:
            await work(item)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def grant_each(stub: Stub, accounts: Iterable[str], amount: int, concurrency: int) -> None:
    """Grants `amount` to every account, keyed by account so a rerun grants nothing twice."""

    async def grant(account_id: str) -> None:
        request = credits_pb2.GrantRequest(
            account_id=account_id, grant_id=f"bench-{account_id}", amount=amount, source="bench"
        )
        await stub.Grant(request, timeout=CALL_TIMEOUT_S)

    await for_each(accounts, grant, concurrency)


async def consumed_total(stub: Stub, accounts: Iterable[str], concurrency: int) -> int:
    """Credits consumed on these accounts, as each side's own GetBalance reports them."""
    total = 0

    async def add(account_id: str) -> None:
        nonlocal total
        reply = await stub.GetBalance(
            credits_pb2.GetBalanceRequest(account_id=account_id), timeout=CALL_TIMEOUT_S
        )
        total += reply.balance.consumed

    await for_each(accounts, add, concurrency)
    return total
