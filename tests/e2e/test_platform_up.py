"""`atelier up` as a newcomer runs it: ready, refuses a twin, stops clean, keeps its data."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from atelier_cli.home import AtelierHome
from atelier_localinfra import free_port

READY_DEADLINE_S = 60.0


class Platform:
    """One `atelier up` process tree with its own home and edge port."""

    def __init__(self, home: Path, edge_port: int) -> None:
        self.home = home
        self.edge_url = f"http://127.0.0.1:{edge_port}"
        self.env = {**os.environ, "ATELIER_HOME": str(home), "ATELIER_EDGE_PORT": str(edge_port)}
        for inherited in ("ATELIER_DATABASE_URL", "ATELIER_NATS_URL", "ATELIER_S3_ENDPOINT"):
            self.env.pop(inherited, None)
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "atelier_cli.main", "up"],
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


def _processes_of(home: Path, pids: set[int]) -> list[str]:
    leftovers = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["pid"] in pids or str(home) in cmdline:
            leftovers.append(f"{proc.info['pid']}: {cmdline}")
    return leftovers


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    running = Platform(tmp_path / "home", free_port())
    yield running
    running.kill()


async def _atelier(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs another `atelier` command against the platform, as an operator would."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "atelier_cli.main", *args],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_up_is_ready_refuses_a_twin_stops_clean_and_keeps_data(platform: Platform) -> None:
    platform.start()
    platform.wait_ready()
    record = AtelierHome(platform.home).read_record()
    granted = await _atelier(platform, "credits", "grant", "acct-kept", "100", "--grant-id", "g1")
    assert granted.returncode == 0, granted.stderr
    children = {p.pid for p in psutil.Process(record.supervisor_pid).children(recursive=True)}

    twin = await _atelier(platform, "up")
    assert twin.returncode == 1
    assert "already running" in twin.stderr

    assert platform.interrupt() == 0
    assert _processes_of(platform.home, children) == []

    platform.start()
    platform.wait_ready()
    balance = await _atelier(platform, "credits", "balance", "acct-kept")
    assert "available  100" in balance.stdout
    # Both run inside the credits service, called with an operator token signed by the home's secret.
    audit = await _atelier(platform, "credits", "audit", "--json")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    replay = await _atelier(platform, "replay")
    assert replay.returncode == 0, replay.stderr
    assert "1 account balances" in replay.stdout
    assert platform.interrupt() == 0
