"""A running credits service with its admin API, and ledger activity to audit or rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr
from services.credits.tests.credits_service import fast_settings, serving_credits
from services.credits.tests.integration.projection_support import migrated_pool

from atelier.credits.v1 import credits_admin_pb2_grpc, credits_pb2, credits_pb2_grpc
from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.statement_projector import StatementProjector
from atelier_runtime.db import DbPool
from atelier_runtime.grpc_client import channel
from atelier_runtime.service_auth import bearer_metadata, sign_service_token
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually

if TYPE_CHECKING:
    LedgerStub = credits_pb2_grpc.CreditsServiceAsyncStub
    AdminStub = credits_admin_pb2_grpc.CreditsAdminServiceAsyncStub

SECRET = "admin-api-test-secret-0123456789abcdef"


@dataclass
class Credits:
    """A running credits service: where it listens, its two APIs and its database."""

    address: str
    ledger: LedgerStub
    admin: AdminStub
    pool: DbPool


@asynccontextmanager
async def running_admin(
    database_url: str, nats_url: str, bus_prefix: str, secret: str | None = SECRET
) -> AsyncIterator[Credits]:
    """The credits service verifying service tokens with `secret` (none: every admin call refused)."""
    jwt_secret = None if secret is None else SecretStr(secret)
    settings = fast_settings(database_url, nats_url, bus_prefix, jwt_secret=jwt_secret)
    async with (
        serving_credits(settings) as address,
        channel(address) as ch,
        migrated_pool(database_url) as pool,
    ):
        ledger = credits_pb2_grpc.CreditsServiceStub(ch)
        yield Credits(address, ledger, credits_admin_pb2_grpc.CreditsAdminServiceStub(ch), pool)


def operator_token(role: str = "operator", secret: str = SECRET) -> tuple[tuple[str, str]]:
    return bearer_metadata(sign_service_token(secret, role=role, subject="test-operator"))


async def some_activity(credits: Credits, accounts: int) -> list[str]:
    """Accounts with a grant, a partial spend and a release each, their statements projected.

    Nothing in it expires, so the service's sweeper leaves it alone while a test damages it.
    """
    ids = [random_id("acct") for _ in range(accounts)]
    ledger = credits.ledger
    for account in ids:
        await ledger.Grant(credits_pb2.GrantRequest(account_id=account, grant_id="g1", amount=20))
        for freeze_id in ("gen-1", "gen-2"):
            await ledger.Freeze(
                credits_pb2.FreezeRequest(account_id=account, freeze_id=freeze_id, amount=5)
            )
        await ledger.Confirm(
            credits_pb2.ConfirmRequest(account_id=account, freeze_id="gen-1", amount=3)
        )
        await ledger.RollBack(credits_pb2.RollBackRequest(account_id=account, freeze_id="gen-2"))
    projector = StatementProjector(credits.pool, event_mapper())

    async def projected() -> bool:
        return (await projector.lag()).events == 0

    await eventually(projected, what="statements projected")
    return ids
