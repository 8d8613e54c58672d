"""Which secret the CLI signs with: an exported ATELIER_JWT_SECRET, else the home's own."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from atelier_cli.configuration_error import ConfigurationError
from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.main import main
from atelier_cli.platform_access import credits_admin_target
from atelier_cli.platform_secret import jwt_secret


def running_home(path: Path, *, secret_exported: bool) -> AtelierHome:
    home = AtelierHome(path)
    home.dir()
    home.write_record(
        PlatformRecord(
            edge_url="http://127.0.0.1:8080",
            database_url="postgresql://postgres@127.0.0.1:5432/postgres",
            nats_url="nats://127.0.0.1:4222",
            s3_endpoint="http://127.0.0.1:9000",
            supervisor_pid=1,
            services={"credits": "127.0.0.1:50123"},
            jwt_secret_exported=secret_exported,
        )
    )
    return home


def test_an_exported_secret_wins_over_the_homes(tmp_path: Path) -> None:
    home = running_home(tmp_path, secret_exported=True)

    assert jwt_secret(home, {"ATELIER_JWT_SECRET": "exported"}) == "exported"
    assert jwt_secret(home, {"ATELIER_JWT_SECRET": "exported"}) != home.secret("jwt")


def test_admin_calls_are_signed_with_the_exported_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATELIER_JWT_SECRET", "exported-secret")

    target = credits_admin_target(running_home(tmp_path, secret_exported=True))

    assert target.jwt_secret == "exported-secret"


def test_a_platform_started_with_an_exported_secret_asks_for_it_again(tmp_path: Path) -> None:
    home = running_home(tmp_path, secret_exported=True)

    with pytest.raises(ConfigurationError) as raised:
        jwt_secret(home, {})

    [problem] = raised.value.problems
    assert problem.startswith("ATELIER_JWT_SECRET: the platform under")
    assert problem.endswith("export the same value here")


def test_without_an_export_the_homes_secret_signs_a_token_for_an_hour(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("ATELIER_HOME", str(tmp_path))
    monkeypatch.delenv("ATELIER_JWT_SECRET", raising=False)

    assert main(["token", "acct-1", "--role", "operator"]) == 0

    secret = AtelierHome(tmp_path).secret("jwt")
    claims = jwt.decode(capsys.readouterr().out.strip(), secret, algorithms=["HS256"])
    assert (claims["sub"], claims["role"]) == ("acct-1", "operator")
    assert abs(claims["exp"] - (time.time() + 3600)) < 60
