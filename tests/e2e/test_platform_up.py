"""`atelier up` as a newcomer runs it: ready, refuses a twin, stops clean, keeps its data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from tests.e2e.platform_process import Platform, atelier, processes_of

from atelier_cli.home import AtelierHome
from atelier_localinfra import free_port


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    running = Platform(tmp_path / "home", free_port())
    yield running
    running.kill()


async def test_up_is_ready_refuses_a_twin_stops_clean_and_keeps_data(platform: Platform) -> None:
    platform.start()
    platform.wait_ready()
    record = AtelierHome(platform.home).read_record()
    granted = await atelier(platform, "credits", "grant", "acct-kept", "100", "--grant-id", "g1")
    assert granted.returncode == 0, granted.stderr
    children = {p.pid for p in psutil.Process(record.supervisor_pid).children(recursive=True)}

    twin = await atelier(platform, "up")
    assert twin.returncode == 1
    assert "already running" in twin.stderr

    assert platform.interrupt() == 0
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
