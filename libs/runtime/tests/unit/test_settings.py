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
from atelier_runtime.settings_types import DatabaseUrl


class LedgerSettings(ServiceSettings):
    """A service's settings as services write them: a default name and a required database."""

    service_name: str = "ledger"
    database_url: DatabaseUrl
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
    assert "ATELIER_GRPC_PORT: must be a port number 0-65535 (0 picks a free one), got 'abc'" in (
        problems
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
    assert capsys.readouterr().err == "ATELIER_SHUTDOWN_GRACE_S: must be a number, got 'soon'\n"


def test_each_problem_is_one_line_naming_the_variable_and_the_expected_form(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "localhost:5432")
    monkeypatch.setenv("ATELIER_NATS_URL", "nats://")
    monkeypatch.setenv("ATELIER_OTEL_EXPORTER", "zipkin")
    monkeypatch.setenv("ATELIER_SHUTDOWN_DRAIN_S", "-1")

    with pytest.raises(SystemExit):
        exit_on_bad_settings(LedgerSettings)

    assert capsys.readouterr().err.splitlines() == [
        "ATELIER_DATABASE_URL: must be a PostgreSQL URL like "
        "postgresql://user:password@host:5432/database, got 'localhost:5432'",
        "ATELIER_NATS_URL: must be a NATS URL like nats://host:4222, or a comma-separated list "
        "of them, got 'nats://'",
        "ATELIER_SHUTDOWN_DRAIN_S: must be at least 0, got '-1'",
        "ATELIER_OTEL_EXPORTER: must be 'none', 'console' or 'otlp', got 'zipkin'",
    ]


def test_a_malformed_url_is_echoed_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://me:hunter2@db:99999/ledger")

    with pytest.raises(SettingsError) as caught:
        load_settings(LedgerSettings)

    [problem] = caught.value.problems
    assert "hunter2" not in problem
    assert "postgresql://me:***@db:99999/ledger" in problem


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
