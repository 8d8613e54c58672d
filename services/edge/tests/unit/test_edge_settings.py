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
