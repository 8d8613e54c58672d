"""The services `atelier up` runs, and the environment each one is given."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from atelier_runtime.connection_urls import with_database
from atelier_runtime.grpc_targets import HostPort


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
    def settings_class(self) -> str:
        """Its settings class as `module:Class`, for a check that runs before it starts."""
        return f"atelier_{self.name}.settings:{self.name.capitalize()}Settings"

    @property
    def database(self) -> str:
        return f"atelier_{self.name}"

    @property
    def address_variable(self) -> str:
        return f"ATELIER_{self.name.upper()}_ADDR"


BACKEND_SERVICES = (
    ServiceSpec("credits"),
    ServiceSpec("generation"),
    ServiceSpec("media"),
    ServiceSpec("billing"),
)
# The edge keeps API keys (hashed) and idempotency records in a database of its own.
EDGE = ServiceSpec("edge", publishes_events=False)
MEDIA_BUCKET = "atelier-media"
# Where the remote providers serve outputs; media copies only from allowed hosts.
REMOTE_PROVIDER_HOSTS = ("replicate.delivery", ".replicate.delivery", "v3.fal.media", ".fal.media")

# Everything `atelier up` sets for its processes: checked by up itself (an exported value is
# used, or turned into each service's own, like its database), never passed through unchecked.
PROVIDED_VARIABLES = frozenset(
    {
        "ATELIER_DATABASE_URL",
        "ATELIER_NATS_URL",
        "ATELIER_S3_ENDPOINT",
        "ATELIER_S3_BUCKET",
        "ATELIER_S3_ACCESS_KEY",
        "ATELIER_S3_SECRET_KEY",
        "ATELIER_S3_REGION",
        "ATELIER_JWT_SECRET",
        "ATELIER_INSTANCE_ID",
        "ATELIER_EDGE_HOST",
        "ATELIER_EDGE_PORT",
        "ATELIER_GRPC_HOST",
        "ATELIER_GRPC_PORT",
        *(spec.address_variable for spec in BACKEND_SERVICES),
    }
)


def replica_names(service: str, count: int) -> list[str]:
    """`credits` for a lone process, `credits-1` … `credits-N` for replicas (logs, status)."""
    if count == 1:
        return [service]
    return [f"{service}-{n}" for n in range(1, count + 1)]


@dataclass(frozen=True)
class Endpoints:
    """Where the infrastructure and every backend replica listen."""

    database_url: str
    nats_url: str
    s3_endpoint: str
    grpc_addresses: dict[str, tuple[HostPort, ...]]  # service name → one address per replica
    edge_host: str
    edge_port: int
    # Where each generation replica's built-in provider serves its outputs, in replica order.
    local_provider_ports: tuple[int, ...] = ()

    def database_url_for(self, spec: ServiceSpec) -> str:
        return with_database(self.database_url, spec.database)

    def replica_addresses(self, name: str) -> list[str]:
        return [str(address) for address in self.grpc_addresses[name]]

    def every_replica_address(self) -> list[str]:
        return [a for spec in BACKEND_SERVICES for a in self.replica_addresses(spec.name)]

    def address_list(self, name: str) -> str:
        """Every replica of a service, in the comma-separated `ATELIER_<SERVICE>_ADDR` form."""
        return ",".join(self.replica_addresses(name))

    @property
    def edge_url(self) -> str:
        host = f"[{self.edge_host}]" if ":" in self.edge_host else self.edge_host
        return f"http://{host}:{self.edge_port}"


@dataclass(frozen=True)
class SharedSettings:
    """What every process of one platform shares besides addresses: secrets and its identity."""

    jwt_secret: str
    instance_id: str
    s3_access_key: str
    s3_secret_key: str
    s3_region: str
    s3_bucket: str


def service_environment(
    spec: ServiceSpec,
    endpoints: Endpoints,
    shared: SharedSettings,
    replica: HostPort | None = None,
) -> dict[str, str]:
    """The ATELIER_* variables of one process; `replica` is where a backend replica listens."""
    env = {
        "ATELIER_NATS_URL": endpoints.nats_url,
        "ATELIER_S3_ENDPOINT": endpoints.s3_endpoint,
        "ATELIER_S3_BUCKET": shared.s3_bucket,
        "ATELIER_S3_ACCESS_KEY": shared.s3_access_key,
        "ATELIER_S3_SECRET_KEY": shared.s3_secret_key,
        "ATELIER_S3_REGION": shared.s3_region,
        "ATELIER_JWT_SECRET": shared.jwt_secret,
        "ATELIER_INSTANCE_ID": shared.instance_id,
        "ATELIER_EDGE_HOST": endpoints.edge_host,
        "ATELIER_EDGE_PORT": str(endpoints.edge_port),
    }
    if spec.owns_database:
        env["ATELIER_DATABASE_URL"] = endpoints.database_url_for(spec)
    # Every process can reach every replica of every backend; its channels balance round robin.
    for other in BACKEND_SERVICES:
        env[other.address_variable] = endpoints.address_list(other.name)
    if replica is not None:
        env["ATELIER_GRPC_HOST"] = replica.host
        env["ATELIER_GRPC_PORT"] = str(replica.port)
    env.update(_local_provider_environment(spec, endpoints, replica))
    env.update(_web_app_environment(spec, endpoints))
    env.update(_input_origin_environment(spec, endpoints))
    return env


INPUT_ORIGIN_VARIABLES = ("ATELIER_LOCAL_PROVIDER_INPUT_ORIGINS", "ATELIER_PROVIDER_INPUT_ORIGINS")


def _input_origin_environment(spec: ServiceSpec, endpoints: Endpoints) -> dict[str, str]:
    """Generation may read the files accounts upload: presigned GETs on the bucket's endpoint."""
    if spec.name != "generation":
        return {}
    parts = urlsplit(endpoints.s3_endpoint)
    origin = f"{parts.scheme}://{parts.netloc}"
    return {name: origin for name in INPUT_ORIGIN_VARIABLES if name not in os.environ}


def _web_app_environment(spec: ServiceSpec, endpoints: Endpoints) -> dict[str, str]:
    """On one machine the web app signs in without a password, and uploads from the edge's origin."""
    if spec.name == "edge" and "ATELIER_DEV_LOGIN" not in os.environ:
        return {"ATELIER_DEV_LOGIN": "1"}
    if spec.name == "media" and "ATELIER_MEDIA_WEB_ORIGIN" not in os.environ:
        local = f"http://localhost:{endpoints.edge_port}"
        return {"ATELIER_MEDIA_WEB_ORIGIN": f"{endpoints.edge_url},{local}"}
    return {}


def _local_provider_environment(
    spec: ServiceSpec, endpoints: Endpoints, replica: HostPort | None
) -> dict[str, str]:
    """Generation's built-in provider serves outputs on loopback; media may copy from there.

    Only this platform's own ports are allowed, and only because `atelier up` runs everything on
    one machine: a deployment never sets these, so media refuses loopback sources there.
    """
    sources = [f"127.0.0.1:{port}" for port in endpoints.local_provider_ports]
    if spec.name == "generation" and replica is not None and endpoints.local_provider_ports:
        index = endpoints.grpc_addresses["generation"].index(replica)
        return {"ATELIER_LOCAL_PROVIDER_PORT": str(endpoints.local_provider_ports[index])}
    if spec.name == "media" and sources and "ATELIER_MEDIA_SOURCE_HOSTS" not in os.environ:
        return {
            "ATELIER_MEDIA_ALLOW_LOOPBACK_SOURCES": "1",
            "ATELIER_MEDIA_SOURCE_HOSTS": ",".join([*REMOTE_PROVIDER_HOSTS, *sources]),
        }
    return {}
