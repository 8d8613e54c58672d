"""The saga's parts wired in-process, without gRPC or background drivers, so a test can drive a
generation step by step, abandon it anywhere (as a process death would), and let another
composition root take it over."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.generation.tests.generation_service import service_settings

from atelier.credits.v1 import credits_pb2_grpc
from atelier_generation.adapters.credits_client import CreditsWallet
from atelier_generation.adapters.schema import MIGRATIONS
from atelier_generation.application.catalogue_queries import CatalogueQueries
from atelier_generation.domain.catalogue import Catalogue, Model
from atelier_generation.domain.generation import Generation
from atelier_generation.main import Saga, service_catalogue, wire_saga
from atelier_generation.providers.job import JobStatus, ProviderJob, WebhookUpdate
from atelier_generation.providers.provider import Provider
from atelier_runtime.db import DbPool, apply_migrations, create_pool
from atelier_runtime.grpc_client import channel
from atelier_runtime.outbox import install_outbox
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually

if TYPE_CHECKING:
    CreditsStub = credits_pb2_grpc.CreditsServiceAsyncStub


@dataclass
class CountingProvider:
    """A provider seen through a counter of its submissions (what a provider would bill)."""

    inner: Provider
    submitted: list[str] = field(default_factory=list)
    name: str = "local"

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        job = await self.inner.submit(model, params)
        self.submitted.append(job.job_id)
        return job

    async def poll(self, job: ProviderJob) -> JobStatus:
        return await self.inner.poll(job)

    async def cancel(self, job: ProviderJob) -> None:
        await self.inner.cancel(job)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        return self.inner.parse_webhook(headers, body)


@dataclass
class Composition:
    """One composition root's saga (one "process"); `pool` is its database."""

    saga: Saga
    pool: DbPool

    async def step(self, g: Generation) -> Generation:
        return await self.saga.driver.step(g)

    async def claim(self) -> Generation | None:
        return await self.saga.driver.claim()

    async def drive_all(self) -> None:
        """Claims and drives until nothing is left to claim."""
        while (g := await self.claim()) is not None:
            await self.saga.driver.drive(g)


@contextlib.asynccontextmanager
async def composition(
    database_url: str,
    nats_url: str,
    prefix: str,
    credits_address: str,
    provider: Provider | Sequence[Provider],
    *,
    catalogue: Catalogue | None = None,
    **overrides: Any,
) -> AsyncIterator[Composition]:
    """One composition root over `provider` (or several), the shipped catalogue or `catalogue`,
    and the test's settings `overrides`."""
    settings = service_settings(
        database_url, nats_url, prefix, credits_addr=credits_address, **overrides
    )
    catalogue = catalogue or service_catalogue(settings)
    providers = list(provider) if isinstance(provider, Sequence) else [provider]
    pool = await create_pool(database_url)
    try:
        await apply_migrations(pool, "generation", MIGRATIONS)
        await install_outbox(pool)
        async with channel(credits_address) as credits:
            saga = wire_saga(
                settings,
                pool,
                CreditsWallet(credits),
                {p.name: p for p in providers},
                catalogue,
                CatalogueQueries(catalogue),
            )
            yield Composition(saga, pool)
    finally:
        await pool.close()


@dataclass
class World:
    """Two "processes" on one database, credits and provider; the first is the one that dies."""

    first: Composition
    second: Composition
    provider: CountingProvider
    credits: CreditsStub

    async def submit(self, account: str) -> Generation:
        return await self.first.saga.submit(
            account, random_id("key"), "text-to-image", "local", {"prompt": "a lighthouse"}
        )

    async def take_over(self) -> Generation:
        """What the second process claims once the dead one's lease has expired."""
        claimed: list[Generation] = []

        async def found() -> bool:
            g = await self.second.claim()
            claimed[:] = [] if g is None else [g]
            return g is not None

        await eventually(found, 10, what="a generation to take over")
        return claimed[0]
