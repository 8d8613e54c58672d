"""The service processes of one local platform: every backend replica, then the edge."""

from __future__ import annotations

import os
import signal
import sys

from atelier_cli.home import AtelierHome
from atelier_cli.platform_spec import (
    BACKEND_SERVICES,
    EDGE,
    Endpoints,
    ServiceSpec,
    replica_names,
    service_environment,
)
from atelier_localinfra import ManagedProcess

_RESTARTS_ALLOWED = 5


class ServiceProcesses:
    """One process per replica, named like its log file; each dies with the supervisor."""

    def __init__(self, home: AtelierHome, endpoints: Endpoints, jwt_secret: str) -> None:
        self._home = home
        self.processes: dict[str, ManagedProcess] = {}
        self.restarts: dict[str, int] = {}
        for spec in BACKEND_SERVICES:
            ports = endpoints.grpc_ports[spec.name]
            for name, port in zip(replica_names(spec.name, len(ports)), ports, strict=True):
                self._add(name, spec, service_environment(spec, endpoints, jwt_secret, port))
        self._add(EDGE.name, EDGE, service_environment(EDGE, endpoints, jwt_secret))

    def _add(self, name: str, spec: ServiceSpec, env: dict[str, str]) -> None:
        self.processes[name] = ManagedProcess(
            name,
            [sys.executable, "-m", spec.module],
            self._home.dir("logs") / f"{name}.log",
            stop_signal=signal.SIGTERM,
            env={**os.environ, **env},
        )

    def start_all(self) -> None:
        for process in self.processes.values():
            process.start()

    def revive_crashed(self) -> list[str]:
        """Restarts each process that exited on its own, alone; gives up on one that keeps crashing."""
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
