"""Pytest plugin: servers once per session, a fresh database / stream prefix / bucket per test, tiers by folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import boto3
import pytest

from atelier_localinfra.s3_server import ACCESS_KEY, REGION, SECRET_KEY
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
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with session_servers(tmp_path_factory.mktemp("servers")) as running:
        yield running


def _database_url(admin_url: str, database: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture
async def database_url(servers: Servers) -> AsyncIterator[str]:
    """A fresh, empty database for this test only."""
    name = random_name("t_")
    admin = await asyncpg.connect(servers.postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield _database_url(servers.postgres_admin_url, name)
    admin = await asyncpg.connect(servers.postgres_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def nats_url(servers: Servers) -> str:
    return servers.nats_url


@pytest.fixture
def bus_prefix() -> str:
    """A stream/subject prefix no other test uses, so tests share one NATS server safely."""
    return random_name("t")


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
