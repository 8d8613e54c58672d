"""The edge reads each backend's replicas from ATELIER_<SERVICE>_ADDR and refuses a malformed one."""

from __future__ import annotations

import os

import pytest

from atelier_edge.settings import EdgeSettings
from atelier_runtime.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ATELIER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://edge@127.0.0.1:5432/atelier_edge")


def test_each_backend_may_be_one_address_a_list_of_replicas_or_a_dns_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_CREDITS_ADDR", "127.0.0.1:5001,127.0.0.1:5002")
    monkeypatch.setenv("ATELIER_MEDIA_ADDR", "dns:///media.atelier.svc.cluster.local:50051")

    backends = load_settings(EdgeSettings).backends()

    assert backends["credits"] == "127.0.0.1:5001,127.0.0.1:5002"
    assert backends["media"] == "dns:///media.atelier.svc.cluster.local:50051"
    assert backends["billing"] == "127.0.0.1:50054"


def test_a_malformed_backend_address_stops_the_edge_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_GENERATION_ADDR", "generation")

    with pytest.raises(SettingsError) as raised:
        load_settings(EdgeSettings)

    (problem,) = raised.value.problems
    assert problem.startswith("ATELIER_GENERATION_ADDR: ")
    assert "expected host:port" in problem


def test_each_edge_has_its_own_instance_id_unless_given_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings(EdgeSettings).instance_id != load_settings(EdgeSettings).instance_id

    monkeypatch.setenv("ATELIER_INSTANCE_ID", "inst-given")
    assert load_settings(EdgeSettings).instance_id == "inst-given"


def test_a_malformed_edge_port_is_refused_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_EDGE_PORT", "abc")

    with pytest.raises(SettingsError) as raised:
        load_settings(EdgeSettings)

    assert raised.value.problems == ["ATELIER_EDGE_PORT: must be a port number 1-65535, got 'abc'"]


def test_the_edge_owns_a_database_and_says_so_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ATELIER_DATABASE_URL")

    with pytest.raises(SettingsError) as raised:
        load_settings(EdgeSettings)

    assert raised.value.problems == ["ATELIER_DATABASE_URL: required but not set"]


def test_a_jwks_url_without_issuer_and_audience_is_refused_in_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_JWKS_URL", "https://accounts.example/jwks")

    with pytest.raises(SettingsError) as raised:
        load_settings(EdgeSettings)

    (problem,) = raised.value.problems
    assert problem.startswith("ATELIER_JWKS_URL: needs ATELIER_JWT_ISSUER and ATELIER_JWT_AUDIENCE")


def test_limits_are_read_from_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_EDGE_RATE_PER_S", "2.5")
    monkeypatch.setenv("ATELIER_EDGE_RATE_BURST", "7")

    settings = load_settings(EdgeSettings)

    assert (settings.edge_rate_per_s, settings.edge_rate_burst) == (2.5, 7)
