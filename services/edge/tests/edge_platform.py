"""The whole platform in-process for the edge's tests: credits, generation (built-in provider, no
latency), media and billing, each with its own database, on one NATS prefix and one bucket, and
the edge served by uvicorn on a real port in front of them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import uvicorn
from services.billing.tests.billing_service import fast_settings as billing_settings
from services.billing.tests.billing_service import serving_billing
from services.credits.tests.credits_service import fast_settings as credits_settings
from services.credits.tests.credits_service import serving_credits
from services.generation.tests.generation_service import service_settings, serving_generation
from services.media.tests.media_service import fast_settings as media_settings
from services.media.tests.media_service import serving_media

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_edge.http_api.app import create_app
from atelier_edge.settings import EdgeSettings
from atelier_localinfra import free_port
from atelier_runtime.grpc_client import channel
from atelier_runtime.service_auth import sign_token
from atelier_testing.ids import random_name
from atelier_testing.infrastructure import Servers
from atelier_testing.plugin import S3Bucket

JWT_SECRET = "edge-tests-secret-of-thirty-two-bytes"


@dataclass
class Platform:
    """Addresses of the running backends, the edge's URL and database, and a credits stub."""

    edge_url: str
    backends: dict[str, str]
    edge_database_url: str
    credits: Any  # CreditsServiceAsyncStub
    bus: dict[str, str]  # the edge's NATS URL and prefix, for its live event streams

    def token(self, account: str, ttl: timedelta = timedelta(minutes=10), **claims: Any) -> str:
        return sign_token(JWT_SECRET, subject=account, ttl=ttl, claims=claims or None)

    def client(self, account: str | None = None, **claims: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token(account, **claims)}"} if account else {}
        return httpx.AsyncClient(
            base_url=self.edge_url, headers=headers, trust_env=False, timeout=30
        )

    async def grant(self, account: str, amount: int) -> None:
        await self.credits.Grant(
            credits_pb2.GrantRequest(
                account_id=account,
                grant_id=random_name("grant-"),
                amount=amount,
                source="admin",
            )
        )

    def edge_settings(self, **overrides: Any) -> EdgeSettings:
        return edge_settings(self.backends, self.edge_database_url, **self.bus, **overrides)


def edge_settings(backends: dict[str, str], database_url: str, **overrides: Any) -> EdgeSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "credits_addr": backends["credits"],
        "generation_addr": backends["generation"],
        "media_addr": backends["media"],
        "billing_addr": backends["billing"],
        "jwt_secret": JWT_SECRET,
        "edge_port": 8080,
        "edge_rate_per_s": 1000.0,
        "edge_rate_burst": 1000,
        **overrides,
    }
    return EdgeSettings(**values)


@contextlib.asynccontextmanager
async def serving_edge(settings: EdgeSettings) -> AsyncIterator[str]:
    """The edge's app under uvicorn on a free port until the block ends; yields its URL."""
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=int(settings.edge_keep_alive_s),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _database(servers: Servers, made: list[str]) -> str:
    name = random_name("t_edge_")
    admin = await asyncpg.connect(servers.postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    made.append(name)
    return servers.postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"


async def _drop(servers: Servers, made: list[str]) -> None:
    admin = await asyncpg.connect(servers.postgres_admin_url)
    try:
        for name in made:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def running_platform(servers: Servers) -> AsyncIterator[Platform]:
    made: list[str] = []
    prefix = random_name("t")
    bucket = S3Bucket(endpoint=servers.s3_endpoint, name=random_name("atelier-t-"))
    bucket.client().create_bucket(Bucket=bucket.name)  # type: ignore[attr-defined]
    provider_port = free_port()
    nats = servers.nats_url
    try:
        async with AsyncExitStack() as stack:
            credits = await stack.enter_async_context(
                serving_credits(credits_settings(await _database(servers, made), nats, prefix))
            )
            billing = await stack.enter_async_context(
                serving_billing(
                    billing_settings(await _database(servers, made), nats, prefix, credits)
                )
            )
            generation = await stack.enter_async_context(
                serving_generation(
                    service_settings(
                        await _database(servers, made),
                        nats,
                        prefix,
                        credits_addr=credits,
                        local_provider_port=provider_port,
                    )
                )
            )
            media = await stack.enter_async_context(
                serving_media(
                    media_settings(
                        await _database(servers, made), nats, prefix, bucket, provider_port
                    )
                )
            )
            backends = {
                "credits": credits,
                "billing": billing,
                "generation": generation,
                "media": media,
            }
            edge_database = await _database(servers, made)
            bus = {"nats_url": nats, "nats_prefix": prefix}
            edge_url = await stack.enter_async_context(
                serving_edge(edge_settings(backends, edge_database, **bus))
            )
            credits_channel = await stack.enter_async_context(channel(credits))
            yield Platform(
                edge_url=edge_url,
                backends=backends,
                edge_database_url=edge_database,
                bus=bus,
                credits=credits_pb2_grpc.CreditsServiceStub(credits_channel),
            )
    finally:
        await _drop(servers, made)
