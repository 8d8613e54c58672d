from __future__ import annotations

import os

import pytest
from pydantic import Field, SecretStr

from atelier_runtime.grpc_targets import GrpcAddresses
from atelier_runtime.settings import (
    ServiceSettings,
    SettingsError,
    env_var_name,
    exit_on_bad_settings,
    load_settings,
)


class LedgerSettings(ServiceSettings):
    """A service's settings as services write them: a default name and a required database."""

    service_name: str = "ledger"
    database_url: str
    signing_key: SecretStr | None = Field(default=None, min_length=16)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ATELIER_"):
            monkeypatch.delenv(name)


def test_defaults_apply_when_only_required_values_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://db/ledger")

    settings = load_settings(LedgerSettings)

    assert settings.service_name == "ledger"
    assert settings.database_url == "postgresql://db/ledger"
    assert settings.nats_url == "nats://127.0.0.1:4222"
    assert settings.nats_prefix == ""
    assert (settings.grpc_host, settings.grpc_port) == ("127.0.0.1", 0)
    assert settings.log_level == "INFO"
    assert settings.shutdown_grace_s == 10
    assert settings.shutdown_drain_s == 0.5
    assert settings.otel_exporter == "none"


def test_values_are_read_from_atelier_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://db/ledger")
    monkeypatch.setenv("ATELIER_GRPC_PORT", "50051")
    monkeypatch.setenv("ATELIER_LOG_LEVEL", "debug")
    monkeypatch.setenv("ATELIER_OTEL_EXPORTER", "console")

    settings = load_settings(LedgerSettings)

    assert settings.grpc_port == 50051
    assert settings.log_level == "DEBUG"
    assert settings.otel_exporter == "console"


def test_a_missing_and_a_malformed_variable_are_both_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_GRPC_PORT", "abc")

    with pytest.raises(SettingsError) as caught:
        load_settings(LedgerSettings)

    problems = caught.value.problems
    assert "ATELIER_DATABASE_URL: required but not set" in problems
    assert any(
        problem.startswith("ATELIER_GRPC_PORT: Input should be a valid integer")
        and problem.endswith("got 'abc'")
        for problem in problems
    )
    assert len(problems) == 2


def test_out_of_range_and_unknown_choices_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://db/ledger")
    monkeypatch.setenv("ATELIER_GRPC_PORT", "70000")
    monkeypatch.setenv("ATELIER_OTEL_EXPORTER", "zipkin")
    monkeypatch.setenv("ATELIER_LOG_LEVEL", "loud")

    with pytest.raises(SettingsError) as caught:
        load_settings(LedgerSettings)

    named = sorted(problem.split(":")[0] for problem in caught.value.problems)
    assert named == ["ATELIER_GRPC_PORT", "ATELIER_LOG_LEVEL", "ATELIER_OTEL_EXPORTER"]


def test_a_malformed_secret_is_named_without_echoing_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://db/ledger")
    monkeypatch.setenv("ATELIER_SIGNING_KEY", "hunter2")

    with pytest.raises(SettingsError) as caught:
        load_settings(LedgerSettings)

    [problem] = caught.value.problems
    assert problem.startswith("ATELIER_SIGNING_KEY: ")
    assert "hunter2" not in problem


def test_bad_settings_exit_with_status_2_and_name_the_variable_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://db/ledger")
    monkeypatch.setenv("ATELIER_SHUTDOWN_GRACE_S", "soon")

    with pytest.raises(SystemExit) as caught:
        exit_on_bad_settings(LedgerSettings)

    assert caught.value.code == 2
    assert "ATELIER_SHUTDOWN_GRACE_S: Input should be a valid number" in capsys.readouterr().err


def test_env_var_names_follow_the_prefix() -> None:
    assert env_var_name(LedgerSettings, "grpc_port") == "ATELIER_GRPC_PORT"


class CallerSettings(ServiceSettings):
    """A service that calls a backend, as the edge does."""

    service_name: str = "caller"
    credits_addr: GrpcAddresses = "127.0.0.1:50051"


@pytest.mark.parametrize(
    "value",
    ["127.0.0.1:5001", "127.0.0.1:5001,127.0.0.1:5002", "dns:///credits.atelier.svc:50051"],
)
def test_an_address_setting_takes_one_address_a_list_or_a_dns_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ATELIER_CREDITS_ADDR", value)

    assert load_settings(CallerSettings).credits_addr == value


def test_a_malformed_address_setting_stops_the_service_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_CREDITS_ADDR", "127.0.0.1:5001,127.0.0.1:0")

    with pytest.raises(SettingsError) as raised:
        load_settings(CallerSettings)

    (problem,) = raised.value.problems
    assert problem.startswith("ATELIER_CREDITS_ADDR: ")
    assert "port 0 is outside 1-65535" in problem
    assert "'127.0.0.1:5001,127.0.0.1:0'" in problem
