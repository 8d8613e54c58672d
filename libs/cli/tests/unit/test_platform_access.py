"""Finding a running platform's credits database from its record."""

from __future__ import annotations

from atelier_cli.home import PlatformRecord
from atelier_cli.platform_access import credits_database_url


def record(database_url: str) -> PlatformRecord:
    return PlatformRecord(
        edge_url="http://127.0.0.1:8080",
        database_url=database_url,
        nats_url="nats://127.0.0.1:4222",
        s3_endpoint="http://127.0.0.1:9000",
        supervisor_pid=1,
    )


def test_the_credits_database_sits_beside_the_servers_maintenance_database() -> None:
    url = credits_database_url(record("postgresql://postgres:pw@127.0.0.1:5432/postgres"))

    assert url == "postgresql://postgres:pw@127.0.0.1:5432/atelier_credits"


def test_connection_options_of_the_server_url_are_kept() -> None:
    url = credits_database_url(record("postgresql://u@db:5432/postgres?sslmode=require"))

    assert url == "postgresql://u@db:5432/atelier_credits?sslmode=require"
