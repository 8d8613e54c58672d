"""One platform (`atelier up`, real processes) and one headless Chromium for every browser test;
each test gets a fresh browser context (its own storage) and fails on any console error."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, ViewportSize, sync_playwright
from tests.browser.studio import ConsoleLog, Studio
from tests.e2e.platform_process import Platform

from atelier_localinfra import free_port
from atelier_testing.private_dirs import private_directory

CHROMIUM = Path(os.environ.get("ATELIER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Long enough to watch progress move and to reload mid-generation; the server-side copy starts
# soon after a success, yet well after the page's own copy has had its chance.
PLATFORM_ENV = {
    "ATELIER_LOCAL_PROVIDER_LATENCY_S": "4",
    "ATELIER_MEDIA_FALLBACK_DELAY_S": "8",
    "ATELIER_MEDIA_FALLBACK_POLL_S": "0.5",
}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


# Module-scoped (there is one test module): Playwright's sync API keeps an event loop running in
# the main thread while it is open, which would break every async test collected after these.
@pytest.fixture(scope="module")
def platform(request: pytest.FixtureRequest) -> Iterator[Platform]:
    with private_directory() as work:
        running = Platform(work / "home", free_port(), env=PLATFORM_ENV)
        running.start()
        try:
            running.wait_ready()
            yield running
        finally:
            if running.process is not None and running.process.poll() is None:
                running.interrupt()
            running.kill()
            if request.session.testsfailed:
                _keep_logs(running)


def _keep_logs(running: Platform) -> None:
    """The services' logs and `atelier up`'s output outlive a failed run (the home does not)."""
    kept = Path(tempfile.mkdtemp(prefix="atelier-browser-logs-"))
    shutil.copytree(running.home / "logs", kept / "logs", dirs_exist_ok=True)
    (kept / "atelier-up.txt").write_text(running.output())
    print(f"\nbrowser tests: the platform's logs are kept in {kept}", file=sys.stderr)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's `chromium` (.ci/run does)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Playwright gives each launch a fresh, temporary user-data directory.
    with tempfile.TemporaryDirectory() as downloads:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            downloads_path=downloads,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def studio(platform: Platform, browser: Browser) -> Iterator[Studio]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    console = ConsoleLog(page)
    try:
        yield Studio(page, platform.edge_url, console)
    finally:
        context.close()
    console.assert_clean()
