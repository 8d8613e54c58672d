"""The services `atelier up` runs, and the environment each one is given."""

from __future__ import annotations

from dataclasses import dataclass

from atelier_localinfra.s3_server import ACCESS_KEY, REGION, SECRET_KEY


@dataclass(frozen=True)
class ServiceSpec:
    """One service process: its module, whether it owns a database, whether it publishes events."""

    name: str
    owns_database: bool = True
    publishes_events: bool = True

    @property
    def module(self) -> str:
        return f"atelier_{self.name}.main"

    @property
    def database(self) -> str:
        return f"atelier_{self.name}"


BACKEND_SERVICES = (
    ServiceSpec("credits"),
    ServiceSpec("generation"),
    ServiceSpec("media"),
    ServiceSpec("billing"),
)
EDGE = ServiceSpec("edge", owns_database=False, publishes_events=False)
MEDIA_BUCKET = "atelier-media"


@dataclass(frozen=True)
class Endpoints:
    """Where the infrastructure and every backend service listen."""

    database_url: str
    nats_url: str
    s3_endpoint: str
    grpc_ports: dict[str, int]
    edge_host: str
    edge_port: int

    def database_url_for(self, spec: ServiceSpec) -> str:
        return self.database_url.rsplit("/", 1)[0] + f"/{spec.database}"

    def grpc_address(self, name: str) -> str:
        return f"127.0.0.1:{self.grpc_ports[name]}"


def service_environment(spec: ServiceSpec, endpoints: Endpoints, jwt_secret: str) -> dict[str, str]:
    """The ATELIER_* variables of one service (ARCHITECTURE §9); each process reads them once."""
    env = {
        "ATELIER_NATS_URL": endpoints.nats_url,
        "ATELIER_S3_ENDPOINT": endpoints.s3_endpoint,
        "ATELIER_S3_BUCKET": MEDIA_BUCKET,
        "ATELIER_S3_ACCESS_KEY": ACCESS_KEY,
        "ATELIER_S3_SECRET_KEY": SECRET_KEY,
        "ATELIER_S3_REGION": REGION,
        "ATELIER_JWT_SECRET": jwt_secret,
        "ATELIER_EDGE_HOST": endpoints.edge_host,
        "ATELIER_EDGE_PORT": str(endpoints.edge_port),
    }
    if spec.owns_database:
        env["ATELIER_DATABASE_URL"] = endpoints.database_url_for(spec)
    for other in BACKEND_SERVICES:
        env[f"ATELIER_{other.name.upper()}_ADDR"] = endpoints.grpc_address(other.name)
    if spec.name in endpoints.grpc_ports:
        env["ATELIER_GRPC_PORT"] = str(endpoints.grpc_ports[spec.name])
    return env
