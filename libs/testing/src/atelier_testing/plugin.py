"""Pytest plugin: servers once per session, a fresh database / stream prefix / bucket per test, tiers by folder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import boto3
import pytest
from nats.js import JetStreamContext

from atelier_localinfra.s3_server import ACCESS_KEY, REGION, SECRET_KEY
from atelier_runtime.bus import connect
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool, create_pool
from atelier_testing.ids import random_name
from atelier_testing.infrastructure import Servers, session_servers

_TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.parts
        for tier in _TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def servers(request: pytest.FixtureRequest) -> Iterator[Servers]:
    # Not under pytest's temporary root (see private_dirs): a session's PostgreSQL panicked
    # ("could not open pg_control: Permission denied") when another session started.
    work = Path(tempfile.mkdtemp(prefix="atelier-test-servers-"))
    with session_servers(work) as running:
        yield running
    if request.session.testsfailed:
        print(f"\natelier: the test servers' logs are kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def _database_url(admin_url: str, database: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture
async def new_database(servers: Servers) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes fresh, empty databases on the session's server, each dropped after the test (for
    tests that run several services, each with a database of its own)."""
    made: list[str] = []

    async def make() -> str:
        name = random_name("t_")
        admin = await asyncpg.connect(servers.postgres_admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        made.append(name)
        return _database_url(servers.postgres_admin_url, name)

    yield make
    admin = await asyncpg.connect(servers.postgres_admin_url)
    try:
        for name in made:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(new_database: Callable[[], Awaitable[str]]) -> str:
    """A fresh, empty database for this test only."""
    return await new_database()


@pytest.fixture
def nats_url(servers: Servers) -> str:
    return servers.nats_url


@pytest.fixture
async def db_pool(database_url: str) -> AsyncIterator[DbPool]:
    """A connection pool on this test's fresh database."""
    pool = await create_pool(database_url, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
def bus_prefix() -> str:
    """A stream/subject prefix no other test uses, so tests share one NATS server safely."""
    return random_name("t")


@pytest.fixture
def bus_names(bus_prefix: str) -> BusNames:
    """Stream and subject names under this test's prefix."""
    return BusNames(bus_prefix)


@pytest.fixture
async def jetstream(nats_url: str, bus_names: BusNames) -> AsyncIterator[JetStreamContext]:
    """JetStream on the session's NATS; every stream made under the test's prefix goes after."""
    client = await connect(nats_url, "atelier-test")
    js = client.jetstream()
    yield js
    for info in await js.streams_info():
        if info.config.name and info.config.name.startswith(f"{bus_names.prefix}_"):
            await js.delete_stream(info.config.name)
    await client.close()


@dataclass(frozen=True)
class S3Bucket:
    """A fresh bucket on the session's S3 server, with the credentials to reach it."""

    endpoint: str
    name: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    def client(self) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )


@pytest.fixture
def s3_bucket(servers: Servers) -> S3Bucket:
    bucket = S3Bucket(endpoint=servers.s3_endpoint, name=random_name("atelier-t-"))
    bucket.client().create_bucket(Bucket=bucket.name)  # type: ignore[attr-defined]
    return bucket
