"""Where the operator commands find a running platform's services and databases."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from atelier_cli.home import PlatformRecord
from atelier_cli.platform_spec import ServiceSpec, replica_names
from atelier_runtime.grpc_targets import parse_addresses

CREDITS = ServiceSpec("credits")


def credits_database_url(record: PlatformRecord) -> str:
    """The credits service's own database on the platform's PostgreSQL server.

    The record holds the server's maintenance URL (ending in /postgres); each service owns a
    database named after it on that same server.
    """
    parts = urlsplit(record.database_url)
    return urlunsplit(parts._replace(path=f"/{CREDITS.database}"))


def replicas(record: PlatformRecord, service: str) -> list[tuple[str, str]]:
    """(replica name, host:port) of each process of a backend, as `atelier up` named them."""
    addresses = [str(address) for address in parse_addresses(record.services[service])]
    return list(zip(replica_names(service, len(addresses)), addresses, strict=True))
