"""Finding a running platform's credits service, and the secret its admin calls are signed with."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.platform_access import CreditsAdminTarget, credits_admin_target


def running_home(path: Path) -> AtelierHome:
    home = AtelierHome(path)
    home.dir()
    home.write_record(
        PlatformRecord(
            edge_url="http://127.0.0.1:8080",
            database_url="postgresql://postgres@127.0.0.1:5432/postgres",
            nats_url="nats://127.0.0.1:4222",
            s3_endpoint="http://127.0.0.1:9000",
            supervisor_pid=1,
            services={"credits": "127.0.0.1:50123", "billing": "127.0.0.1:50124"},
        )
    )
    return home


def test_admin_calls_go_to_the_platforms_credits_service_with_its_jwt_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ATELIER_JWT_SECRET", raising=False)
    home = running_home(tmp_path)

    target = credits_admin_target(home)

    # The same secret `atelier up` hands the services as ATELIER_JWT_SECRET.
    assert target == CreditsAdminTarget("127.0.0.1:50123", home.secret("jwt"))


def test_without_a_running_platform_there_is_nothing_to_call(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no running Atelier"):
        credits_admin_target(AtelierHome(tmp_path))
