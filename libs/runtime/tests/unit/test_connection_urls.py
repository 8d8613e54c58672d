from __future__ import annotations

import pytest

from atelier_runtime.connection_urls import (
    database_server,
    http_server,
    nats_servers,
    with_database,
)
from atelier_runtime.grpc_targets import HostPort


def test_a_database_url_names_its_server_with_the_default_port_when_none_is_given() -> None:
    assert database_server("postgresql://me:pw@db.internal/app") == HostPort("db.internal", 5432)
    assert database_server("postgres://[::1]:6432/app") == HostPort("::1", 6432)


@pytest.mark.parametrize(
    "url", ["localhost:5432", "mysql://db/app", "postgresql://", "postgresql://db:99999/app"]
)
def test_a_malformed_database_url_says_the_expected_form(url: str) -> None:
    with pytest.raises(ValueError, match=r"postgresql://user:password@host:5432/database"):
        database_server(url)


def test_a_nats_url_may_list_several_servers() -> None:
    assert nats_servers("nats://a:4222, tls://b") == [HostPort("a", 4222), HostPort("b", 4222)]


@pytest.mark.parametrize("url", ["a:4222", "nats://", "http://a:4222", "nats://a:4222,"])
def test_a_malformed_nats_url_says_the_expected_form(url: str) -> None:
    with pytest.raises(ValueError, match=r"nats://host:4222"):
        nats_servers(url)


def test_an_s3_endpoint_is_an_http_url() -> None:
    assert http_server("https://r2.example.com") == HostPort("r2.example.com", 443)
    with pytest.raises(ValueError, match=r"http://host:9000"):
        http_server("r2.example.com")


def test_each_service_gets_its_own_database_on_the_same_server() -> None:
    given = "postgresql://me:pw@db:5432/postgres?sslmode=require"

    assert with_database(given, "atelier_credits") == (
        "postgresql://me:pw@db:5432/atelier_credits?sslmode=require"
    )
    assert (
        with_database("postgresql://db:5432", "atelier_media")
        == "postgresql://db:5432/atelier_media"
    )
