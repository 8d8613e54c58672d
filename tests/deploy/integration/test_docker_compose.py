"""docker-compose.yml runs the platform: infrastructure first, then each configured service."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[3]
SERVICES = sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))
BACKENDS = [service for service in SERVICES if service != "edge"]
GRPC_PORT = "50051"

COMMON_ENV = {
    "ATELIER_NATS_URL",
    "ATELIER_JWT_SECRET",
    "ATELIER_LOG_LEVEL",
    "ATELIER_SHUTDOWN_GRACE_S",
    "ATELIER_OTEL_EXPORTER",
}
BACKEND_ENV = COMMON_ENV | {"ATELIER_DATABASE_URL", "ATELIER_GRPC_HOST", "ATELIER_GRPC_PORT"}
S3_ENV = {
    "ATELIER_S3_ENDPOINT",
    "ATELIER_S3_BUCKET",
    "ATELIER_S3_REGION",
    "ATELIER_S3_ACCESS_KEY",
    "ATELIER_S3_SECRET_KEY",
}
EDGE_ENV = COMMON_ENV | {
    "ATELIER_EDGE_HOST",
    "ATELIER_EDGE_PORT",
    "ATELIER_CREDITS_ADDR",
    "ATELIER_GENERATION_ADDR",
    "ATELIER_MEDIA_ADDR",
    "ATELIER_BILLING_ADDR",
    "ATELIER_STRIPE_WEBHOOK_SECRET",
    "ATELIER_JWKS_URL",
}
REQUIRED_ENV = {
    "credits": BACKEND_ENV,
    "generation": BACKEND_ENV,
    "media": BACKEND_ENV | S3_ENV,
    "billing": BACKEND_ENV | {"ATELIER_STRIPE_WEBHOOK_SECRET"},
    "edge": EDGE_ENV,
}
# Compose interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}; `$$` is a literal dollar.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(:?-[^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def services_of(compose: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = compose["services"]
    return services


def environment_of(compose: dict[str, Any], service: str) -> dict[str, Any]:
    environment: dict[str, Any] = services_of(compose)[service]["environment"]
    return environment


def test_compose_knows_every_service_we_have(compose: dict[str, Any]) -> None:
    assert set(SERVICES) <= set(services_of(compose))
    assert set(REQUIRED_ENV) == set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_built_from_the_repository_root_with_its_own_dockerfile(
    compose: dict[str, Any], service: str
) -> None:
    build = services_of(compose)[service]["build"]
    assert (ROOT / build["context"]).resolve() == ROOT
    assert build["dockerfile"] == f"services/{service}/Dockerfile"
    assert (ROOT / build["dockerfile"]).is_file()


@pytest.mark.parametrize("service", SERVICES)
def test_service_has_the_environment_it_needs(compose: dict[str, Any], service: str) -> None:
    missing = REQUIRED_ENV[service] - set(environment_of(compose, service))
    assert not missing, f"{service} lacks {sorted(missing)}"


@pytest.mark.parametrize("service", BACKENDS)
def test_backend_listens_on_all_interfaces_and_uses_its_own_database(
    compose: dict[str, Any], service: str
) -> None:
    environment = environment_of(compose, service)
    assert environment["ATELIER_GRPC_HOST"] == "0.0.0.0"
    assert environment["ATELIER_GRPC_PORT"] == GRPC_PORT
    url = environment["ATELIER_DATABASE_URL"]
    assert url.startswith("postgresql://")
    assert "@postgres:5432/" in url
    assert url.rsplit("/", 1)[1] == f"atelier_{service}"


def test_edge_reaches_each_backend_by_its_compose_name(compose: dict[str, Any]) -> None:
    environment = environment_of(compose, "edge")
    for backend in BACKENDS:
        assert environment[f"ATELIER_{backend.upper()}_ADDR"] == f"{backend}:{GRPC_PORT}"
        assert backend in services_of(compose)


def test_edge_is_published_on_8080(compose: dict[str, Any]) -> None:
    edge = services_of(compose)["edge"]
    assert edge["environment"]["ATELIER_EDGE_HOST"] == "0.0.0.0"
    assert edge["environment"]["ATELIER_EDGE_PORT"] == "8080"
    assert "8080:8080" in edge["ports"]
    # Its own database: API keys and idempotency records.
    assert edge["environment"]["ATELIER_DATABASE_URL"].endswith("@postgres:5432/atelier_edge")


def test_secrets_reach_only_the_services_that_use_them(compose: dict[str, Any]) -> None:
    for service in SERVICES:
        environment = environment_of(compose, service)
        has_s3_keys = "ATELIER_S3_SECRET_KEY" in environment
        assert has_s3_keys == (service == "media"), service


@pytest.mark.parametrize("service", SERVICES)
def test_service_starts_after_the_infrastructure_it_uses_is_healthy(
    compose: dict[str, Any], service: str
) -> None:
    depends_on = services_of(compose)[service]["depends_on"]
    assert depends_on["nats"]["condition"] == "service_healthy"
    assert depends_on["postgres"]["condition"] == "service_healthy"


def test_media_starts_after_its_bucket_exists(compose: dict[str, Any]) -> None:
    depends_on = services_of(compose)["media"]["depends_on"]
    assert depends_on["minio-init"]["condition"] == "service_completed_successfully"
    bucket = environment_of(compose, "media")["ATELIER_S3_BUCKET"]
    init_script = " ".join(services_of(compose)["minio-init"]["entrypoint"])
    assert f"mc mb --ignore-existing local/{bucket}" in init_script


def test_edge_starts_after_every_backend_is_healthy(compose: dict[str, Any]) -> None:
    depends_on = services_of(compose)["edge"]["depends_on"]
    for backend in BACKENDS:
        assert depends_on[backend]["condition"] == "service_healthy"


def test_every_awaited_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    services = services_of(compose)
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            if rule["condition"] == "service_healthy":
                assert "test" in services[dependency].get("healthcheck", {}), (name, dependency)


def test_infrastructure_is_postgres_17_nats_with_jetstream_on_a_volume_and_minio(
    compose: dict[str, Any],
) -> None:
    services = services_of(compose)
    assert services["postgres"]["image"] == "postgres:17"
    nats = services["nats"]
    assert nats["image"].startswith("nats:2.11")
    assert "-js" in nats["command"]
    store = nats["command"][nats["command"].index("-sd") + 1]
    assert any(volume.endswith(f":{store}") for volume in nats["volumes"])
    assert "minio/minio" in services["minio"]["image"]
    assert set(compose["volumes"]) >= {"postgres-data", "nats-data", "minio-data"}


def test_every_interpolated_variable_has_a_default() -> None:
    # `docker compose up` must work with no .env file at all.
    text = (ROOT / "docker-compose.yml").read_text()
    found = INTERPOLATION.findall(text)
    assert found
    without_default = sorted({name for name, default in found if not default})
    assert not without_default


def backend_healthcheck_exit_code(compose: dict[str, Any], status: int) -> int:
    """Runs the backends' compose healthcheck against a health service reporting `status`."""
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    health_service = health.HealthServicer()
    health_service.set("", status)
    health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        command = services_of(compose)["credits"]["healthcheck"]["test"]
        assert command[:3] == ["CMD", "python", "-c"]
        script = command[3].replace(f"127.0.0.1:{GRPC_PORT}", f"127.0.0.1:{port}")
        return subprocess.run([sys.executable, "-c", script], check=False).returncode
    finally:
        server.stop(grace=None)


def test_backend_healthcheck_passes_only_while_the_service_is_serving(
    compose: dict[str, Any],
) -> None:
    assert backend_healthcheck_exit_code(compose, health_pb2.HealthCheckResponse.SERVING) == 0
    assert backend_healthcheck_exit_code(compose, health_pb2.HealthCheckResponse.NOT_SERVING) != 0
