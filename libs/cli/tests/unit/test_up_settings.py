"""What `atelier up` reads from the environment: exported values win, bad ones are named at once."""

from __future__ import annotations

import os

import pytest

from atelier_cli.configuration_error import ConfigurationError
from atelier_cli.up_settings import plan_up
from atelier_runtime.grpc_targets import HostPort


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ATELIER_"):
            monkeypatch.delenv(name)


def problems(scale: list[str] | None = None) -> list[str]:
    with pytest.raises(ConfigurationError) as raised:
        plan_up(scale or [])
    return raised.value.problems


def test_without_exports_up_chooses_everything() -> None:
    plan = plan_up([])

    assert (plan.settings.edge_host, plan.settings.edge_port) == ("127.0.0.1", 8080)
    assert (plan.settings.database_url, plan.settings.nats_url) == (None, None)
    assert plan.settings.jwt_secret is None
    assert plan.replicas == {"credits": 1, "generation": 1, "media": 1, "billing": 1}
    assert plan.given_addresses == {}


def test_exported_values_are_the_ones_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_JWT_SECRET", "exported")
    monkeypatch.setenv("ATELIER_EDGE_PORT", "9090")
    monkeypatch.setenv("ATELIER_NATS_URL", "nats://nats.internal:4222")
    monkeypatch.setenv("ATELIER_S3_BUCKET", "my-media")

    settings = plan_up([]).settings

    assert settings.jwt_secret is not None
    assert settings.jwt_secret.get_secret_value() == "exported"
    assert (settings.edge_port, settings.nats_url) == (9090, "nats://nats.internal:4222")
    assert settings.s3_bucket == "my-media"


def test_an_empty_export_counts_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "")
    monkeypatch.setenv("ATELIER_JWT_SECRET", "")

    settings = plan_up([]).settings

    assert settings.database_url is None
    assert settings.jwt_secret is None


def test_every_malformed_value_is_named_in_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_EDGE_PORT", "abc")
    monkeypatch.setenv("ATELIER_DATABASE_URL", "localhost:5432")
    monkeypatch.setenv("ATELIER_S3_BUCKET", "My_Bucket")

    assert problems(["credits=0"]) == [
        "--scale expects SERVICE=N with SERVICE one of credits, generation, media, billing "
        "and N from 1 to 8, got 'credits=0'",
        "ATELIER_EDGE_PORT: must be a port number 1-65535, got 'abc'",
        "ATELIER_DATABASE_URL: must be a PostgreSQL URL like "
        "postgresql://user:password@host:5432/database, got 'localhost:5432'",
        "ATELIER_S3_BUCKET: must be an S3 bucket name: 3-63 lower-case letters, digits, dots and "
        "hyphens, got 'My_Bucket'",
    ]


def test_exported_backend_addresses_are_where_its_replicas_listen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_CREDITS_ADDR", "127.0.0.1:6001, 127.0.0.1:6002")

    plan = plan_up([])

    assert plan.given_addresses == {
        "credits": (HostPort("127.0.0.1", 6001), HostPort("127.0.0.1", 6002))
    }
    assert plan.replicas["credits"] == 2


def test_exported_addresses_and_scale_must_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_CREDITS_ADDR", "127.0.0.1:6001,127.0.0.1:6002")

    assert problems(["credits=3"]) == [
        "ATELIER_CREDITS_ADDR: names 2 addresses but --scale credits=3 asks for 3 replicas; "
        "give one address per replica"
    ]


def test_a_dns_name_cannot_be_listened_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_MEDIA_ADDR", "dns:///media.svc:50051")

    [problem] = problems()

    assert problem.startswith(
        "ATELIER_MEDIA_ADDR: atelier up runs media itself and needs host:port"
    )


def test_two_processes_cannot_share_a_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_EDGE_PORT", "7000")
    monkeypatch.setenv("ATELIER_CREDITS_ADDR", "127.0.0.1:7000")
    monkeypatch.setenv("ATELIER_MEDIA_ADDR", "127.0.0.1:7001,127.0.0.1:7001")

    assert problems() == [
        "ATELIER_CREDITS_ADDR: port 7000 is also given by ATELIER_EDGE_PORT; "
        "every process needs a port of its own",
        "ATELIER_MEDIA_ADDR: port 7001 is also given by ATELIER_MEDIA_ADDR; "
        "every process needs a port of its own",
    ]


def test_one_grpc_port_for_every_process_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_GRPC_PORT", "50051")

    [problem] = problems()

    assert problem.startswith("ATELIER_GRPC_PORT: atelier up gives every backend process a port")
    assert "ATELIER_<SERVICE>_ADDR" in problem
