"""An S3-compatible endpoint from moto's server, as a child process we own."""

from __future__ import annotations

import signal
import urllib.request
from pathlib import Path

from atelier_localinfra.process import ManagedProcess, free_port, venv_binary

# moto accepts any credentials; these are what clients of the local stack are handed.
ACCESS_KEY = "atelier"
SECRET_KEY = "atelier-secret"
REGION = "us-east-1"


class LocalS3:
    """moto_server on a free port. It keeps objects in memory (see s3_snapshot for persistence)."""

    def __init__(self, work_dir: Path, *, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.process = ManagedProcess(
            "moto_server",
            [venv_binary("moto_server"), "-H", host, "-p", str(self.port)],
            work_dir / "s3.log",
            stop_signal=signal.SIGTERM,
            cwd=work_dir,
        )

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=0.5):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 60.0) -> LocalS3:
        self.process.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process.start()
        self.process.wait_until(self._ready, timeout)
        return self

    def stop(self) -> None:
        self.process.stop()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"
