"""Where the operator commands find a running platform's credits service, and the key to its admin
methods."""

from __future__ import annotations

from dataclasses import dataclass

from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.platform_secret import jwt_secret
from atelier_cli.platform_spec import replica_names
from atelier_runtime.grpc_targets import parse_addresses

CREDITS = "credits"


@dataclass(frozen=True)
class CreditsAdminTarget:
    """A credits service to call admin methods on, and the secret its service tokens are signed with."""

    address: str
    jwt_secret: str


def credits_address(record: PlatformRecord) -> str:
    """The gRPC address of the platform's credits service."""
    return record.services[CREDITS]


def credits_admin_target(home: AtelierHome) -> CreditsAdminTarget:
    """The running platform's credits service; fails (FileNotFoundError) when none is running."""
    address = credits_address(home.read_record())
    return CreditsAdminTarget(address=address, jwt_secret=jwt_secret(home))


def replicas(record: PlatformRecord, service: str) -> list[tuple[str, str]]:
    """(replica name, host:port) of each process of a backend, as `atelier up` named them."""
    addresses = [str(address) for address in parse_addresses(record.services[service])]
    return list(zip(replica_names(service, len(addresses)), addresses, strict=True))
