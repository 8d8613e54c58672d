"""The URLs that name a PostgreSQL, NATS or S3 server: checked for form, taken apart for probes.

Each parser raises ValueError whose message is the expected form, so a settings field or the
`atelier up` preflight can name the variable and say what would have been accepted.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit, urlunsplit

from atelier_runtime.grpc_targets import HostPort

DATABASE_FORM = "a PostgreSQL URL like postgresql://user:password@host:5432/database"
NATS_FORM = "a NATS URL like nats://host:4222, or a comma-separated list of them"
HTTP_FORM = "an http(s) URL like http://host:9000"

_DATABASE_SCHEMES = ("postgresql", "postgres")
_NATS_DEFAULT_PORTS = {"nats": 4222, "tls": 4222, "ws": 80, "wss": 443}
_HTTP_DEFAULT_PORTS = {"http": 80, "https": 443}


def database_server(url: str) -> HostPort:
    """The server a PostgreSQL URL names."""
    return _server(url.strip(), dict.fromkeys(_DATABASE_SCHEMES, 5432), f"must be {DATABASE_FORM}")


def nats_servers(url: str) -> list[HostPort]:
    """Every server a NATS URL (or a comma-separated list of them) names."""
    return [
        _server(part.strip(), _NATS_DEFAULT_PORTS, f"must be {NATS_FORM}")
        for part in url.split(",")
    ]


def http_server(url: str) -> HostPort:
    """The server an S3-compatible endpoint names."""
    return _server(url.strip(), _HTTP_DEFAULT_PORTS, f"must be {HTTP_FORM}")


def with_database(url: str, database: str) -> str:
    """The same server and credentials with another database: each service owns its own."""
    parts = urlsplit(url.strip())
    return urlunsplit(parts._replace(path=f"/{database}"))


def _server(url: str, default_ports: dict[str, int], expected: str) -> HostPort:
    parts = urlsplit(url)
    if parts.scheme not in default_ports or not parts.hostname:
        raise ValueError(expected)
    port = _port(parts, expected)
    return HostPort(parts.hostname, port if port is not None else default_ports[parts.scheme])


def _port(parts: SplitResult, expected: str) -> int | None:
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{expected} (port 1-65535)") from None
    if port == 0:
        raise ValueError(f"{expected} (port 1-65535)")
    return port
