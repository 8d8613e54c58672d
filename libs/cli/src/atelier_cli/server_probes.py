"""Whether the servers given by URL answer, each as what it should be, within one deadline.

A closed port answers at once and an unroutable address never does; either way `atelier up`
says so within seconds, naming the variable and the address, before it starts anything.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from atelier_runtime.grpc_targets import HostPort

PROBE_TIMEOUT_S = 5.0
Greeting = Callable[[socket.socket, HostPort], bool]


def postgres_greeting(sock: socket.socket, _: HostPort) -> bool:
    # An SSLRequest: every PostgreSQL server answers one byte, S or N, before any login.
    sock.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")
    return sock.recv(1) in (b"S", b"N")


def nats_greeting(sock: socket.socket, _: HostPort) -> bool:
    # A NATS server speaks first, with INFO, even when it requires TLS afterwards.
    return sock.recv(4) == b"INFO"


def http_greeting(sock: socket.socket, server: HostPort) -> bool:
    sock.sendall(f"HEAD / HTTP/1.0\r\nHost: {server}\r\n\r\n".encode())
    return sock.recv(5) == b"HTTP/"


@dataclass(frozen=True)
class ServerProbe:
    """The servers one variable names (any one answering is enough) and what they should be."""

    variable: str
    kind: str  # "PostgreSQL", "NATS", "S3"
    servers: Sequence[HostPort]
    greeting: Greeting | None  # None: a TLS endpoint, where an open port is all we check


def unanswered(probes: Sequence[ServerProbe], timeout_s: float = PROBE_TIMEOUT_S) -> list[str]:
    """One line per variable none of whose servers answered as expected within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    with ThreadPoolExecutor(max_workers=max(1, len(probes))) as pool:
        verdicts = list(pool.map(lambda probe: _verdict(probe, deadline, timeout_s), probes))
    return [verdict for verdict in verdicts if verdict is not None]


def _verdict(probe: ServerProbe, deadline: float, timeout_s: float) -> str | None:
    failures = []
    for server in probe.servers:
        failure = _failure(server, probe, deadline, timeout_s)
        if failure is None:
            return None
        failures.append(failure)
    return f"{probe.variable}: {'; '.join(failures)}; expected a reachable {probe.kind} server"


def _failure(server: HostPort, probe: ServerProbe, deadline: float, timeout_s: float) -> str | None:
    try:
        with socket.create_connection(
            (server.host, server.port), timeout=max(0.01, deadline - time.monotonic())
        ) as sock:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if probe.greeting is None or probe.greeting(sock, server):
                return None
            return f"{server} answers, but not as {probe.kind}"
    except socket.gaierror:
        return f"cannot resolve host {server.host!r}"
    except TimeoutError:
        return f"{server} did not answer within {timeout_s:g} s"
    except ConnectionRefusedError:
        return f"nothing listens at {server} (connection refused)"
    except OSError as error:
        return f"cannot reach {server} ({error.strerror or error})"
