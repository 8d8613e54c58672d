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
    SharedSettings,
    replica_names,
    service_environment,
)
from atelier_cli.readable_log import readable_tail
from atelier_cli.restart_budget import RestartBudget
from atelier_localinfra import ManagedProcess


class ServiceFailed(RuntimeError):
    """A service exited when it should not have; the message names its log and quotes its end."""


class ServiceProcesses:
    """One process per replica, named like its log file; each dies with the supervisor."""

    def __init__(
        self,
        home: AtelierHome,
        endpoints: Endpoints,
        shared: SharedSettings,
        budget: RestartBudget | None = None,
    ) -> None:
        self.logs_dir = home.dir("logs")
        self.processes: dict[str, ManagedProcess] = {}
        self._budget = budget or RestartBudget()
        for spec in BACKEND_SERVICES:
            addresses = endpoints.grpc_addresses[spec.name]
            names = replica_names(spec.name, len(addresses))
            for name, address in zip(names, addresses, strict=True):
                self._add(name, spec, service_environment(spec, endpoints, shared, address))
        self._add(EDGE.name, EDGE, service_environment(EDGE, endpoints, shared))

    def _add(self, name: str, spec: ServiceSpec, env: dict[str, str]) -> None:
        self.processes[name] = ManagedProcess(
            name,
            [sys.executable, "-m", spec.module],
            self.logs_dir / f"{name}.log",
            stop_signal=signal.SIGTERM,
            env={**os.environ, **env},
        )

    def start_all(self) -> None:
        for process in self.processes.values():
            process.start()

    def raise_if_any_exited(self, what: str) -> None:
        for name, process in self.processes.items():
            if not process.running():
                raise self._failure(name, what)

    def revive_crashed(self) -> list[str]:
        """Restarts each process that exited on its own, alone, within its restart budget."""
        revived = []
        for name, process in self.processes.items():
            if process.running():
                continue
            if not self._budget.allow(name):
                limit, window = self._budget.limit, self._budget.window_s
                raise self._failure(name, f"exited {limit + 1} times within {window:g}s")
            process.start()
            revived.append(name)
        return revived

    def _failure(self, name: str, what: str) -> ServiceFailed:
        log = self.processes[name].log_path
        tail = "".join(f"\n  {line}" for line in readable_tail(log))
        return ServiceFailed(f"{name} {what}; its log is {log}, ending:{tail}")

    def stop_all(self) -> None:
        # The edge goes first so no new request reaches a stopping backend.
        self.processes[EDGE.name].stop()
        for name, process in self.processes.items():
            if name != EDGE.name and process.running():
                os.kill(process.pid or 0, signal.SIGTERM)
        for process in self.processes.values():
            process.stop()
