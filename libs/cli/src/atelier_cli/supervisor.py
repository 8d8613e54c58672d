"""`atelier up`: infrastructure, provisioning, the five service processes, readiness, and a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack

import httpx

from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.infrastructure import start_infrastructure
from atelier_cli.platform_spec import (
    BACKEND_SERVICES,
    EDGE,
    Endpoints,
    service_environment,
)
from atelier_cli.provisioning import provision
from atelier_localinfra import ManagedProcess, free_port

READY_TIMEOUT_S = 90.0
_RESTARTS_ALLOWED = 5


def _say(line: str) -> None:
    print(f"atelier: {line}", flush=True)


class ServiceProcesses:
    """The service processes of one platform; each dies with the supervisor even if it is killed."""

    def __init__(self, home: AtelierHome, endpoints: Endpoints, jwt_secret: str) -> None:
        self.processes: dict[str, ManagedProcess] = {}
        self.restarts: dict[str, int] = {}
        for spec in (*BACKEND_SERVICES, EDGE):
            env = {**os.environ, **service_environment(spec, endpoints, jwt_secret)}
            self.processes[spec.name] = ManagedProcess(
                spec.name,
                [sys.executable, "-m", spec.module],
                home.dir("logs") / f"{spec.name}.log",
                stop_signal=signal.SIGTERM,
                env=env,
            )

    def start_all(self) -> None:
        for process in self.processes.values():
            process.start()

    def revive_crashed(self) -> list[str]:
        """Restarts a service that exited on its own; gives up on one that keeps crashing."""
        revived = []
        for name, process in self.processes.items():
            if process.running():
                continue
            self.restarts[name] = self.restarts.get(name, 0) + 1
            if self.restarts[name] > _RESTARTS_ALLOWED:
                raise RuntimeError(
                    f"{name} keeps exiting; see {process.log_path}:\n{process.log_tail()}"
                )
            process.start()
            revived.append(name)
        return revived

    def stop_all(self) -> None:
        # The edge goes first so no new request reaches a stopping backend.
        self.processes[EDGE.name].stop()
        for name, process in self.processes.items():
            if name != EDGE.name and process.running():
                os.kill(process.pid or 0, signal.SIGTERM)
        for process in self.processes.values():
            process.stop()


def _wait_until_ready(edge_url: str, services: ServiceProcesses) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        for name, process in services.processes.items():
            if not process.running():
                raise RuntimeError(
                    f"{name} exited during start; see {process.log_path}:\n{process.log_tail()}"
                )
        try:
            if httpx.get(f"{edge_url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(
        f"the platform was not ready within {READY_TIMEOUT_S:.0f}s; logs are in ATELIER_HOME/logs"
    )


class _Stop(Exception):
    """Raised from the signal handler to unwind into the orderly shutdown."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def _endpoints(database_url: str, nats_url: str, s3_endpoint: str) -> Endpoints:
    host = os.environ.get("ATELIER_EDGE_HOST", "127.0.0.1")
    port = int(os.environ.get("ATELIER_EDGE_PORT", "8080"))
    return Endpoints(
        database_url=database_url,
        nats_url=nats_url,
        s3_endpoint=s3_endpoint,
        grpc_ports={spec.name: free_port() for spec in BACKEND_SERVICES},
        edge_host=host,
        edge_port=port,
    )


def run_platform(
    home: AtelierHome, *, on_ready: Callable[[PlatformRecord], None] | None = None
) -> int:
    home.lock()
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        with ExitStack() as stack:
            stack.callback(home.unlock)
            try:
                urls = start_infrastructure(home, stack, _say)
                endpoints = _endpoints(urls.database_url, urls.nats_url, urls.s3_endpoint)
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
                    services={s.name: endpoints.grpc_address(s.name) for s in BACKEND_SERVICES},
                )
                home.write_record(record)
                _wait_until_ready(edge_url, services)
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
