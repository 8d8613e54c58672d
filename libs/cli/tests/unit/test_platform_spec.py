"""What `atelier up` gives each process: its own port, and every replica of every backend."""

from __future__ import annotations

import dataclasses

import pytest

from atelier_cli.home import PlatformRecord
from atelier_cli.platform_access import replicas
from atelier_cli.platform_spec import (
    BACKEND_SERVICES,
    EDGE,
    PROVIDED_VARIABLES,
    Endpoints,
    SharedSettings,
    replica_names,
    service_environment,
)
from atelier_runtime.grpc_targets import HostPort

CREDITS = BACKEND_SERVICES[0]
SHARED = SharedSettings(
    jwt_secret="secret",
    instance_id="atelier-3f9a1c",
    s3_access_key="key",
    s3_secret_key="s3-secret",
    s3_region="auto",
    s3_bucket="media",
)


def local(*ports: int) -> tuple[HostPort, ...]:
    return tuple(HostPort("127.0.0.1", port) for port in ports)


def endpoints() -> Endpoints:
    return Endpoints(
        database_url="postgresql://u@127.0.0.1:5432/postgres",
        nats_url="nats://127.0.0.1:4222",
        s3_endpoint="http://127.0.0.1:9000",
        grpc_addresses={
            "credits": local(5001, 5002),
            "generation": local(5003),
            "media": local(5004),
            "billing": local(5005),
        },
        edge_host="127.0.0.1",
        edge_port=8080,
    )


def test_a_lone_process_keeps_the_service_name_and_replicas_are_numbered() -> None:
    assert replica_names("media", 1) == ["media"]
    assert replica_names("credits", 3) == ["credits-1", "credits-2", "credits-3"]


def test_every_process_is_given_every_replica_of_every_backend() -> None:
    for spec in (*BACKEND_SERVICES, EDGE):
        env = service_environment(spec, endpoints(), SHARED)

        assert env["ATELIER_CREDITS_ADDR"] == "127.0.0.1:5001,127.0.0.1:5002"
        assert env["ATELIER_GENERATION_ADDR"] == "127.0.0.1:5003"


def test_a_replica_listens_on_its_own_address_and_the_edge_on_none() -> None:
    replica = HostPort("::1", 5002)
    env = service_environment(CREDITS, endpoints(), SHARED, replica)

    assert (env["ATELIER_GRPC_HOST"], env["ATELIER_GRPC_PORT"]) == ("::1", "5002")
    assert "ATELIER_GRPC_PORT" not in service_environment(EDGE, endpoints(), SHARED)


def test_each_service_gets_its_own_database_on_the_given_server() -> None:
    env = service_environment(CREDITS, endpoints(), SHARED)

    assert env["ATELIER_DATABASE_URL"] == "postgresql://u@127.0.0.1:5432/atelier_credits"
    # The edge too: it keeps API keys and idempotency records.
    edge = service_environment(EDGE, endpoints(), SHARED)
    assert edge["ATELIER_DATABASE_URL"] == "postgresql://u@127.0.0.1:5432/atelier_edge"


def test_secrets_and_the_instance_id_reach_every_process() -> None:
    for spec in (*BACKEND_SERVICES, EDGE):
        env = service_environment(spec, endpoints(), SHARED)

        assert env["ATELIER_JWT_SECRET"] == "secret"
        assert env["ATELIER_INSTANCE_ID"] == "atelier-3f9a1c"
        assert (env["ATELIER_S3_SECRET_KEY"], env["ATELIER_S3_BUCKET"]) == ("s3-secret", "media")


def test_every_variable_up_sets_is_one_up_checks_itself() -> None:
    env = service_environment(CREDITS, endpoints(), SHARED, HostPort("127.0.0.1", 5001))

    assert set(env) <= PROVIDED_VARIABLES


def test_the_record_lists_each_replica_under_the_name_its_log_file_has() -> None:
    record = PlatformRecord(
        edge_url="http://127.0.0.1:8080",
        database_url="postgresql://u@127.0.0.1:5432/postgres",
        nats_url="nats://127.0.0.1:4222",
        s3_endpoint="http://127.0.0.1:9000",
        supervisor_pid=1,
        services={name: endpoints().address_list(name) for name in endpoints().grpc_addresses},
    )

    assert replicas(record, "credits") == [
        ("credits-1", "127.0.0.1:5001"),
        ("credits-2", "127.0.0.1:5002"),
    ]
    assert replicas(record, "media") == [("media", "127.0.0.1:5004")]


def test_each_generation_replica_serves_outputs_on_its_own_port_and_media_may_copy_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ATELIER_MEDIA_SOURCE_HOSTS", raising=False)
    two = dataclasses.replace(
        endpoints(),
        grpc_addresses={**endpoints().grpc_addresses, "generation": local(5003, 5006)},
        local_provider_ports=(6001, 6002),
    )
    generation = BACKEND_SERVICES[1]
    media = BACKEND_SERVICES[2]

    first = service_environment(generation, two, SHARED, local(5003)[0])
    second = service_environment(generation, two, SHARED, local(5006)[0])
    copier = service_environment(media, two, SHARED, local(5004)[0])

    assert (first["ATELIER_LOCAL_PROVIDER_PORT"], second["ATELIER_LOCAL_PROVIDER_PORT"]) == (
        "6001",
        "6002",
    )
    assert copier["ATELIER_MEDIA_ALLOW_LOOPBACK_SOURCES"] == "1"
    assert copier["ATELIER_MEDIA_SOURCE_HOSTS"].endswith("127.0.0.1:6001,127.0.0.1:6002")
    assert "ATELIER_MEDIA_ALLOW_LOOPBACK_SOURCES" not in service_environment(
        CREDITS, two, SHARED, local(5001)[0]
    )


def test_on_one_machine_the_edge_offers_dev_sign_in_and_the_bucket_accepts_its_origin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ATELIER_DEV_LOGIN", raising=False)
    monkeypatch.delenv("ATELIER_MEDIA_WEB_ORIGIN", raising=False)
    media = BACKEND_SERVICES[2]

    assert service_environment(EDGE, endpoints(), SHARED)["ATELIER_DEV_LOGIN"] == "1"
    assert service_environment(media, endpoints(), SHARED)["ATELIER_MEDIA_WEB_ORIGIN"] == (
        "http://127.0.0.1:8080,http://localhost:8080"
    )
    assert "ATELIER_DEV_LOGIN" not in service_environment(CREDITS, endpoints(), SHARED)


def test_an_exported_choice_of_dev_sign_in_or_web_origin_is_left_to_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_DEV_LOGIN", "0")
    monkeypatch.setenv("ATELIER_MEDIA_WEB_ORIGIN", "https://studio.example.com")

    assert "ATELIER_DEV_LOGIN" not in service_environment(EDGE, endpoints(), SHARED)
    assert "ATELIER_MEDIA_WEB_ORIGIN" not in service_environment(
        BACKEND_SERVICES[2], endpoints(), SHARED
    )


def test_generation_may_read_uploaded_inputs_from_the_buckets_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ATELIER_LOCAL_PROVIDER_INPUT_ORIGINS", raising=False)
    monkeypatch.delenv("ATELIER_PROVIDER_INPUT_ORIGINS", raising=False)
    generation = BACKEND_SERVICES[1]
    env = service_environment(generation, endpoints(), SHARED, HostPort("127.0.0.1", 5003))

    assert env["ATELIER_LOCAL_PROVIDER_INPUT_ORIGINS"] == "http://127.0.0.1:9000"
    assert env["ATELIER_PROVIDER_INPUT_ORIGINS"] == "http://127.0.0.1:9000"
    assert "ATELIER_PROVIDER_INPUT_ORIGINS" not in service_environment(CREDITS, endpoints(), SHARED)


def test_exported_input_origins_are_left_to_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_PROVIDER_INPUT_ORIGINS", "https://files.example.com")
    monkeypatch.delenv("ATELIER_LOCAL_PROVIDER_INPUT_ORIGINS", raising=False)
    env = service_environment(BACKEND_SERVICES[1], endpoints(), SHARED)

    assert "ATELIER_PROVIDER_INPUT_ORIGINS" not in env
    assert env["ATELIER_LOCAL_PROVIDER_INPUT_ORIGINS"] == "http://127.0.0.1:9000"
