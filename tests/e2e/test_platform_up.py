"""`atelier up` as a newcomer runs it: ready, refuses a twin, stops clean and fast, keeps its data."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psutil
import pytest
from tests.e2e.platform_process import Platform, atelier, processes_of, processes_started_for

from atelier_cli.home import AtelierHome
from atelier_localinfra import free_port
from atelier_testing.private_dirs import private_directory

# Ctrl-C: the edge, then every backend (in-flight calls finish), then the servers.
STOP_WITHIN_S = 10.0


@pytest.fixture
def platform() -> Iterator[Platform]:
    with private_directory() as work:
        running = Platform(work / "home", free_port())
        yield running
        running.kill()


async def test_up_is_ready_refuses_a_twin_stops_clean_and_keeps_data(platform: Platform) -> None:
    platform.start()
    platform.wait_ready()
    record = AtelierHome(platform.home).read_record()
    granted = await atelier(platform, "credits", "grant", "acct-kept", "100", "--grant-id", "g1")
    assert granted.returncode == 0, granted.stderr
    reused = await atelier(platform, "credits", "grant", "acct-kept", "7", "--grant-id", "g1")
    assert (reused.returncode, reused.stderr) == (
        1,
        "atelier credits: grant g1 already exists with other arguments: amount 100 ≠ 7\n",
    )
    children = {p.pid for p in psutil.Process(record.supervisor_pid).children(recursive=True)}

    twin = await atelier(platform, "up")
    assert twin.returncode == 1
    assert "already running" in twin.stderr

    stopping = time.monotonic()
    assert platform.interrupt() == 0
    assert time.monotonic() - stopping < STOP_WITHIN_S
    assert processes_of(platform.home, children) == []

    platform.start()
    platform.wait_ready()
    balance = await atelier(platform, "credits", "balance", "acct-kept")
    assert "available  100" in balance.stdout
    # Both run inside the credits service, called with an operator token signed by the home's secret.
    audit = await atelier(platform, "credits", "audit", "--json")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    replay = await atelier(platform, "replay")
    assert replay.returncode == 0, replay.stderr
    assert "1 account balances" in replay.stdout
    assert platform.interrupt() == 0


def test_ctrl_c_while_starting_stops_everything_started_so_far(platform: Platform) -> None:
    platform.start()
    edge_log = platform.home / "logs" / "edge.log"
    deadline = time.monotonic() + 60
    while not edge_log.exists():  # the services are being started: the latest moment to stop
        assert time.monotonic() < deadline, platform.output()
        time.sleep(0.05)

    stopping = time.monotonic()
    assert platform.interrupt() == 0
    assert time.monotonic() - stopping < STOP_WITHIN_S
    assert processes_started_for(platform.home) == []
