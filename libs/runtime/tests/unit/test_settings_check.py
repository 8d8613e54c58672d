"""Several services' settings checked at once: each problem named once, in order."""

from __future__ import annotations

import os

import pytest

from atelier_runtime.settings import ServiceSettings
from atelier_runtime.settings_check import main, problems_of, settings_class


class FirstSettings(ServiceSettings):
    service_name: str = "first"


class SecondSettings(ServiceSettings):
    service_name: str = "second"
    second_batch: int = 10


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ATELIER_"):
            monkeypatch.delenv(name)


def test_a_variable_every_service_reads_is_named_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_LOG_LEVEL", "loud")
    monkeypatch.setenv("ATELIER_SECOND_BATCH", "many")

    assert problems_of([FirstSettings, SecondSettings]) == [
        "ATELIER_LOG_LEVEL: must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, got 'loud'",
        "ATELIER_SECOND_BATCH: must be a whole number, got 'many'",
    ]


def test_classes_are_named_module_colon_class() -> None:
    assert settings_class(f"{__name__}:FirstSettings") is FirstSettings
    with pytest.raises(TypeError):
        settings_class(f"{__name__}:clean_environment")


def test_the_check_exits_2_with_one_line_per_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ATELIER_GRPC_PORT", "-3")

    assert main([f"{__name__}:FirstSettings", f"{__name__}:SecondSettings"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "ATELIER_GRPC_PORT: must be a port number 0-65535 (0 picks a free one), got '-3'"
    ]
    monkeypatch.delenv("ATELIER_GRPC_PORT")
    assert main([f"{__name__}:FirstSettings"]) == 0
