"""The whole platform as `atelier up` starts it, in a home of its own, tuned for the benchmark:
the built-in provider at zero latency and media copying every output at once."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from atelier_localinfra import free_port

READY_DEADLINE_S = 120.0
# What the benchmark changes from `atelier up`'s defaults, and why.
TUNING = {
    # The provider's own time is not the platform's: zero, so what is measured is ours.
    "ATELIER_LOCAL_PROVIDER_LATENCY_S": "0",
    # Media stores every output at once instead of waiting for the browser to copy it first.
    "ATELIER_MEDIA_FALLBACK_DELAY_S": "0",
    # The load comes from a few accounts, each far above one person's request rate.
    "ATELIER_EDGE_RATE_PER_S": "100000",
    "ATELIER_EDGE_RATE_BURST": "100000",
    "ATELIER_LOG_LEVEL": "WARNING",
}


@dataclass(frozen=True)
class RunningPlatform:
    edge_url: str
    credits_address: str
    jwt_secret: str
    home: Path


@contextlib.contextmanager
def running_platform(log: Path) -> Iterator[RunningPlatform]:
    """`atelier up` under a temporary home until the block ends, then Ctrl-C (SIGINT)."""
    with tempfile.TemporaryDirectory(prefix="atelier-bench-e2e-") as folder:
        home = Path(folder)
        secret = secrets.token_urlsafe(32)
        port = free_port()
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
        env = {
            **inherited,
            **TUNING,
            "ATELIER_HOME": str(home),
            "ATELIER_EDGE_PORT": str(port),
            "ATELIER_JWT_SECRET": secret,
        }
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "atelier_cli.main", "up"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                edge_url = f"http://127.0.0.1:{port}"
                _wait_ready(process, edge_url, log)
                record = json.loads((home / "platform.json").read_text())
                credits = str(record["services"]["credits"]).split(",")[0]
                yield RunningPlatform(edge_url, credits, secret, home)
            finally:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_ready(process: subprocess.Popen[bytes], edge_url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"atelier up exited with {process.returncode}; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{edge_url}/readyz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the platform was not ready within {READY_DEADLINE_S:g} s; see {log}")
