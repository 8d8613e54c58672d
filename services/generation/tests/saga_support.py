"""The saga under test: generation served beside a real credits service, and what tests ask of
both (grants, submits, waiting for a generation to settle, the credits ledger of one)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier.generation.v1 import generation_pb2 as pb
from atelier.generation.v1 import generation_pb2_grpc
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually

if TYPE_CHECKING:
    CreditsStub = credits_pb2_grpc.CreditsServiceAsyncStub
    GenerationStub = generation_pb2_grpc.GenerationServiceAsyncStub

ENDED = {pb.GENERATION_STATUS_SUCCEEDED, pb.GENERATION_STATUS_FAILED, pb.GENERATION_STATUS_CANCELED}
SETTLED_CREDITS = {
    pb.CREDITS_STATE_UNSPECIFIED,
    pb.CREDITS_STATE_CONFIRMED,
    pb.CREDITS_STATE_ROLLED_BACK,
    pb.CREDITS_STATE_CHARGE_WAIVED,
}


@dataclass
class SagaClients:
    generation: GenerationStub
    credits: CreditsStub
    address: str = ""  # generation's

    async def funded_account(self, amount: int = 100) -> str:
        return await funded_account(self.credits, amount)

    async def submit(
        self, account: str, prompt: str = "a lighthouse", *, key: str | None = None, **params: Any
    ) -> pb.Generation:
        request = pb.SubmitGenerationRequest(
            account_id=account,
            idempotency_key=key or random_id("key"),
            tool="text-to-image",
            model="local",
            params_json=json.dumps({"prompt": prompt, **params}),
        )
        return (await self.generation.Submit(request)).generation

    async def get(self, account: str, generation_id: str) -> pb.Generation:
        request = pb.GetGenerationRequest(account_id=account, generation_id=generation_id)
        return (await self.generation.GetGeneration(request)).generation

    async def settled(
        self, account: str, generation_id: str, within_s: float = 20
    ) -> pb.Generation:
        """The generation once it ended and its credits are settled."""
        latest: list[pb.Generation] = []

        async def done() -> bool:
            g = await self.get(account, generation_id)
            latest[:] = [g]
            return g.status in ENDED and g.credits_state in SETTLED_CREDITS

        await eventually(done, within_s, what=f"generation {generation_id} settled")
        return latest[0]

    async def ledger(self, account: str, generation_id: str) -> list[str]:
        return await ledger(self.credits, account, generation_id)

    async def available(self, account: str) -> int:
        reply = await self.credits.GetBalance(credits_pb2.GetBalanceRequest(account_id=account))
        return reply.balance.available


async def funded_account(credits: CreditsStub, amount: int = 100) -> str:
    account = random_id("acct")
    await credits.Grant(
        credits_pb2.GrantRequest(
            account_id=account, grant_id=random_id("grant"), amount=amount, source="test"
        )
    )
    return account


async def ledger(credits: CreditsStub, account: str, generation_id: str) -> list[str]:
    """The account's statement lines about this generation (`kind:entry id`), oldest first."""
    reply = await credits.ListStatement(
        credits_pb2.ListStatementRequest(account_id=account, page_size=500)
    )
    lines = [line for line in reply.lines if line.entry_id.startswith(generation_id)]
    return [f"{line.kind}:{line.entry_id}" for line in reversed(lines)]


async def ledger_becomes(
    credits: CreditsStub, account: str, generation_id: str, expected: list[str]
) -> None:
    """Waits for the statement (a projection, a moment behind the ledger) to show `expected`."""
    seen: list[list[str]] = []

    async def matches() -> bool:
        seen[:] = [await ledger(credits, account, generation_id)]
        return seen[0] == expected

    try:
        await eventually(matches, 10, what="ledger")
    except AssertionError:
        raise AssertionError(f"ledger of {generation_id}: {seen[0]} != {expected}") from None
