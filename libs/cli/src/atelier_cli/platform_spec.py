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


GRPC_HOST = "127.0.0.1"


def replica_names(service: str, count: int) -> list[str]:
    """`credits` for a lone process, `credits-1` … `credits-N` for replicas (logs, status)."""
    if count == 1:
        return [service]
    return [f"{service}-{n}" for n in range(1, count + 1)]


@dataclass(frozen=True)
class Endpoints:
    """Where the infrastructure and every backend service listen."""

    database_url: str
    nats_url: str
    s3_endpoint: str
    grpc_ports: dict[str, tuple[int, ...]]  # service name → one port per replica
    edge_host: str
    edge_port: int

    def database_url_for(self, spec: ServiceSpec) -> str:
        return self.database_url.rsplit("/", 1)[0] + f"/{spec.database}"

    def replica_addresses(self, name: str) -> list[str]:
        return [f"{GRPC_HOST}:{port}" for port in self.grpc_ports[name]]

    def every_replica_address(self) -> list[str]:
        return [a for spec in BACKEND_SERVICES for a in self.replica_addresses(spec.name)]

    def grpc_addresses(self, name: str) -> str:
        """Every replica of a service, in the comma-separated `ATELIER_<SERVICE>_ADDR` form."""
        return ",".join(self.replica_addresses(name))


def service_environment(
    spec: ServiceSpec, endpoints: Endpoints, jwt_secret: str, grpc_port: int | None = None
) -> dict[str, str]:
    """The ATELIER_* variables of one process; `grpc_port` is the replica's own (not the edge)."""
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
    # Every process can reach every replica of every backend; its channels balance round robin.
    for other in BACKEND_SERVICES:
        env[f"ATELIER_{other.name.upper()}_ADDR"] = endpoints.grpc_addresses(other.name)
    if grpc_port is not None:
        env["ATELIER_GRPC_PORT"] = str(grpc_port)
    return env
