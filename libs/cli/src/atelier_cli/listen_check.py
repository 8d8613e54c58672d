"""Whether `atelier up` could listen on an address now, and if not, why, in words."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class CannotListen:
    """Why nothing can listen there; `host_is_wrong` when the host, not the port, is the cause."""

    reason: str
    host_is_wrong: bool = False


def cannot_listen(host: str, port: int) -> CannotListen | None:
    """None when host:port is free; binds and releases it at once, as the server later will."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror:
        return CannotListen(f"cannot resolve host {host!r}", host_is_wrong=True)
    with socket.socket(family, kind, protocol) as probe:
        # As uvicorn and gRPC do, so a port lingering in TIME_WAIT does not count as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return _why(host, port, error)
    return None


def _why(host: str, port: int, error: OSError) -> CannotListen:
    if error.errno == errno.EADDRINUSE:
        return CannotListen(f"port {port} on {host} is already in use{_holder(port)}")
    if error.errno == errno.EADDRNOTAVAIL:
        return CannotListen(f"{host} is not an address of this machine", host_is_wrong=True)
    if error.errno == errno.EACCES:
        return CannotListen(f"port {port} needs privileges this user does not have")
    return CannotListen(f"cannot listen on {host}:{port} ({error.strerror})")


def _holder(port: int) -> str:
    # Naming the holder saves a round of `ss -ltnp`; not every system lets us see it.
    try:
        for connection in psutil.net_connections(kind="tcp"):
            listening = connection.status == psutil.CONN_LISTEN and connection.pid is not None
            if listening and getattr(connection.laddr, "port", None) == port:
                return f" by pid {connection.pid} ({psutil.Process(connection.pid).name()})"
    except (psutil.Error, OSError):
        pass
    return ""
