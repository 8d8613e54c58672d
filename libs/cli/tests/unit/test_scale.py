"""`atelier up --scale SERVICE=N`: replicas per backend, and bad values refused before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier_cli.main import main
from atelier_cli.scale import ScaleError, parse_scale


def test_every_backend_runs_one_process_unless_scaled() -> None:
    assert parse_scale([]) == {"credits": 1, "generation": 1, "media": 1, "billing": 1}


def test_the_flag_repeats_one_service_each() -> None:
    replicas = parse_scale(["credits=3", "media=2"])

    assert replicas == {"credits": 3, "generation": 1, "media": 2, "billing": 1}


def test_up_to_eight_replicas_of_a_service() -> None:
    assert parse_scale(["billing=8"])["billing"] == 8


@pytest.mark.parametrize(
    "value",
    ["credits=0", "credits=9", "credits=-1", "credits", "credits=", "=2", "nope=2", "edge=2"],
)
def test_a_malformed_value_is_refused_naming_the_flag_and_the_form(value: str) -> None:
    with pytest.raises(ScaleError) as raised:
        parse_scale([value])

    assert str(raised.value) == (
        "--scale expects SERVICE=N with SERVICE one of credits, generation, media, billing "
        f"and N from 1 to 8, got {value!r}"
    )


def test_a_service_scaled_twice_is_refused() -> None:
    with pytest.raises(ScaleError, match="--scale names credits more than once"):
        parse_scale(["credits=2", "credits=3"])


def test_up_with_a_bad_scale_exits_2_with_one_line_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ATELIER_HOME", str(home))

    status = main(["up", "--scale", "credits=2", "--scale", "credits=0"])

    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("atelier up: --scale expects SERVICE=N")
    assert captured.out == ""
    assert not home.exists()
