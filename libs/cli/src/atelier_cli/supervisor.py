"""`atelier up`: infrastructure, provisioning, the service processes, readiness, and a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack

import httpx

from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.infrastructure import start_infrastructure
from atelier_cli.platform_spec import BACKEND_SERVICES, Endpoints
from atelier_cli.provisioning import provision
from atelier_cli.replica_health import replica_health
from atelier_cli.service_processes import ServiceProcesses
from atelier_localinfra import free_port

READY_TIMEOUT_S = 90.0


def _say(line: str) -> None:
    print(f"atelier: {line}", flush=True)


def _all_serving(edge_url: str, replicas: list[str]) -> bool:
    """The edge is ready (each backend has a SERVING replica) and so is every single replica."""
    try:
        if httpx.get(f"{edge_url}/readyz", timeout=1.0).status_code != 200:
            return False
    except httpx.HTTPError:
        return False
    return all(status == "SERVING" for status in replica_health(replicas))


def _wait_until_ready(edge_url: str, replicas: list[str], services: ServiceProcesses) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        for name, process in services.processes.items():
            if not process.running():
                raise RuntimeError(
                    f"{name} exited during start; see {process.log_path}:\n{process.log_tail()}"
                )
        if _all_serving(edge_url, replicas):
            return
        time.sleep(0.2)
    raise TimeoutError(
        f"the platform was not ready within {READY_TIMEOUT_S:.0f}s; logs are in ATELIER_HOME/logs"
    )


class _Stop(Exception):
    """Raised from the signal handler to unwind into the orderly shutdown."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def _distinct_free_ports(count: int) -> list[int]:
    # Each probe releases its port before the next, so the kernel may hand the same one out twice.
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _endpoints(
    database_url: str, nats_url: str, s3_endpoint: str, replicas: Mapping[str, int]
) -> Endpoints:
    host = os.environ.get("ATELIER_EDGE_HOST", "127.0.0.1")
    port = int(os.environ.get("ATELIER_EDGE_PORT", "8080"))
    ports = iter(_distinct_free_ports(sum(replicas.get(s.name, 1) for s in BACKEND_SERVICES)))
    return Endpoints(
        database_url=database_url,
        nats_url=nats_url,
        s3_endpoint=s3_endpoint,
        grpc_ports={
            spec.name: tuple(next(ports) for _ in range(replicas.get(spec.name, 1)))
            for spec in BACKEND_SERVICES
        },
        edge_host=host,
        edge_port=port,
    )


def run_platform(
    home: AtelierHome,
    replicas: Mapping[str, int] | None = None,
    *,
    on_ready: Callable[[PlatformRecord], None] | None = None,
) -> int:
    """Runs the platform until SIGINT/SIGTERM; `replicas` maps a backend to its process count."""
    home.lock()
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        with ExitStack() as stack:
            stack.callback(home.unlock)
            try:
                urls = start_infrastructure(home, stack, _say)
                endpoints = _endpoints(
                    urls.database_url, urls.nats_url, urls.s3_endpoint, replicas or {}
                )
                asyncio.run(provision(endpoints))
                services = ServiceProcesses(home, endpoints, home.secret("jwt"))
                stack.callback(services.stop_all)
                services.start_all()
                edge_url = f"http://{endpoints.edge_host}:{endpoints.edge_port}"
                record = PlatformRecord(
                    edge_url=edge_url,
                    database_url=urls.database_url,
                    nats_url=urls.nats_url,
                    s3_endpoint=urls.s3_endpoint,
                    supervisor_pid=os.getpid(),
                    services={s.name: endpoints.grpc_addresses(s.name) for s in BACKEND_SERVICES},
                )
                home.write_record(record)
                _wait_until_ready(edge_url, endpoints.every_replica_address(), services)
                _say(
                    f"ready in {time.monotonic() - started:.1f}s: {edge_url}  (Ctrl-C stops everything)"
                )
                if on_ready is not None:
                    on_ready(record)
                while True:
                    time.sleep(0.5)
                    for name in services.revive_crashed():
                        _say(f"{name} exited unexpectedly and was restarted")
            except _Stop as stop:
                _say(f"{stop.args[0]} received, stopping")
                # A second Ctrl-C must not interrupt the orderly stop halfway.
                for sig in previous:
                    signal.signal(sig, signal.SIG_IGN)
        _say("stopped")
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
