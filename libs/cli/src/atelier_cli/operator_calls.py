"""What every operator command that calls a service's guarded methods shares: who is calling,
the token it sends, where the service is, and how a refusal reads in one line."""

from __future__ import annotations

import getpass

import grpc

from atelier_cli.home import AtelierHome
from atelier_cli.platform_secret import jwt_secret
from atelier_runtime.grpc_errors import error_details
from atelier_runtime.service_auth import OPERATOR, bearer_metadata, sign_service_token

Metadata = tuple[tuple[str, str], ...]

EXIT_FAILED, EXIT_USAGE = 1, 2
# Refusals that mean the command could not run at all, rather than that it failed.
CANNOT_RUN = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INVALID_ARGUMENT,
    }
)


def operator_name() -> str:
    """Who is calling, as the service's log names them: `atelier-cli:<user>`."""
    try:
        return f"atelier-cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "atelier-cli:unknown"


def operator_metadata(secret: str) -> Metadata:
    """A short-lived operator token signed with the platform's secret, as call metadata."""
    return bearer_metadata(sign_service_token(secret, role=OPERATOR, subject=operator_name()))


def platform_operator_metadata(home: AtelierHome) -> Metadata:
    """The operator token for the platform `home` runs (an exported secret wins)."""
    return operator_metadata(jwt_secret(home))


def service_address(home: AtelierHome, service: str) -> str:
    """The service's address (all its replicas) from platform.json; one line if it is not there."""
    services = home.read_record().services
    if service not in services:
        known = ", ".join(sorted(services)) or "none"
        raise LookupError(f"no service {service!r} in {home.record_path} (it lists: {known})")
    return services[service]


def rpc_failure(error: grpc.aio.AioRpcError) -> str:
    """`CODE [REASON]: message`, on one line."""
    info, _ = error_details(error)
    reason = f" [{info.reason}]" if info is not None and info.reason else ""
    return f"{error.code().name}{reason}: {' '.join((error.details() or '').split())}"


def exit_status(error: grpc.aio.AioRpcError) -> int:
    """2 when the command could not run, 1 when the service ran it and it failed."""
    return EXIT_USAGE if error.code() in CANNOT_RUN else EXIT_FAILED
