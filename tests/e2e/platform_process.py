"""One `atelier up` process tree with its own home and edge port, run as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil
import pytest

READY_DEADLINE_S = 60.0


class Platform:
    """`atelier up [up_args]` under `home`, with the edge on `edge_port`."""

    def __init__(
        self,
        home: Path,
        edge_port: int,
        up_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.home = home
        self.edge_url = f"http://127.0.0.1:{edge_port}"
        self.up_args = list(up_args)
        self.env = {
            **os.environ,
            **(env or {}),
            "ATELIER_HOME": str(home),
            "ATELIER_EDGE_PORT": str(edge_port),
        }
        for inherited in ("ATELIER_DATABASE_URL", "ATELIER_NATS_URL", "ATELIER_S3_ENDPOINT"):
            self.env.pop(inherited, None)
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "atelier_cli.main", "up", *self.up_args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_ready(self) -> float:
        started = time.monotonic()
        deadline = started + READY_DEADLINE_S
        while time.monotonic() < deadline:
            assert self.process is not None
            assert self.process.poll() is None, self.output()
            try:
                if httpx.get(f"{self.edge_url}/readyz", timeout=1.0).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"not ready within {READY_DEADLINE_S}s:\n{self.output()}")

    def interrupt(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def output(self) -> str:
        if self.process is None or self.process.stdout is None:
            return ""
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stdout.read()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def processes_of(home: Path, pids: set[int]) -> list[str]:
    """Processes among `pids` still alive, or any whose command line names `home`."""
    leftovers = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["pid"] in pids or str(home) in cmdline:
            leftovers.append(f"{proc.info['pid']}: {cmdline}")
    return leftovers


def processes_started_for(home: Path) -> list[str]:
    """Processes an `atelier up` on `home` started: they name it in their arguments or inherit it
    as ATELIER_HOME (services, and servers started with the supervisor's environment)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        try:
            inherited = proc.environ().get("ATELIER_HOME") == str(home)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            inherited = False
        if inherited or str(home) in cmdline:
            found.append(f"{proc.info['pid']}: {cmdline}")
    return found


def run_atelier(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """One `atelier` command under `home`, with only the given ATELIER_* variables exported."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    return subprocess.run(
        [sys.executable, "-m", "atelier_cli.main", *args],
        env={**clean, "ATELIER_HOME": str(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def atelier(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs another `atelier` command against the platform, as an operator would."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "atelier_cli.main", *args],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
