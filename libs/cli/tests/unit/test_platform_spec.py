"""What `atelier up` gives each process: its own port, and every replica of every backend."""

from __future__ import annotations

from atelier_cli.home import PlatformRecord
from atelier_cli.platform_access import replicas
from atelier_cli.platform_spec import (
    BACKEND_SERVICES,
    EDGE,
    Endpoints,
    replica_names,
    service_environment,
)

CREDITS = BACKEND_SERVICES[0]


def endpoints() -> Endpoints:
    return Endpoints(
        database_url="postgresql://u@127.0.0.1:5432/postgres",
        nats_url="nats://127.0.0.1:4222",
        s3_endpoint="http://127.0.0.1:9000",
        grpc_ports={
            "credits": (5001, 5002),
            "generation": (5003,),
            "media": (5004,),
            "billing": (5005,),
        },
        edge_host="127.0.0.1",
        edge_port=8080,
    )


def test_a_lone_process_keeps_the_service_name_and_replicas_are_numbered() -> None:
    assert replica_names("media", 1) == ["media"]
    assert replica_names("credits", 3) == ["credits-1", "credits-2", "credits-3"]


def test_every_process_is_given_every_replica_of_every_backend() -> None:
    for spec in (*BACKEND_SERVICES, EDGE):
        env = service_environment(spec, endpoints(), "secret")

        assert env["ATELIER_CREDITS_ADDR"] == "127.0.0.1:5001,127.0.0.1:5002"
        assert env["ATELIER_GENERATION_ADDR"] == "127.0.0.1:5003"


def test_a_replica_listens_on_its_own_port_and_the_edge_on_none() -> None:
    assert service_environment(CREDITS, endpoints(), "s", 5002)["ATELIER_GRPC_PORT"] == "5002"
    assert "ATELIER_GRPC_PORT" not in service_environment(EDGE, endpoints(), "s")


def test_the_record_lists_each_replica_under_the_name_its_log_file_has() -> None:
    record = PlatformRecord(
        edge_url="http://127.0.0.1:8080",
        database_url="postgresql://u@127.0.0.1:5432/postgres",
        nats_url="nats://127.0.0.1:4222",
        s3_endpoint="http://127.0.0.1:9000",
        supervisor_pid=1,
        services={name: endpoints().grpc_addresses(name) for name in endpoints().grpc_ports},
    )

    assert replicas(record, "credits") == [
        ("credits-1", "127.0.0.1:5001"),
        ("credits-2", "127.0.0.1:5002"),
    ]
    assert replicas(record, "media") == [("media", "127.0.0.1:5004")]
