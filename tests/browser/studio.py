"""The studio page as a user drives it, plus what a test reads beside the page: the console, the
bytes transferred (Chrome DevTools Protocol) and the edge's API with the page's own token."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import ConsoleMessage, Page, ViewportSize

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE: ViewportSize = {"width": 375, "height": 812}
FINISH_WITHIN_MS = 60_000
# Records every value the progress bar shows, from the first paint on (survives reloads).
_WATCH_PROGRESS = """
window.__progress = [];
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("progress");
  if (!bar) return;  // not the studio (an error page)
  new MutationObserver(() => window.__progress.push(Number(bar.value)))
    .observe(bar, { attributes: true, attributeFilter: ["value"] });
});
"""


def new_account() -> str:
    return f"acct-{secrets.token_hex(4)}"


class ConsoleLog:
    """Console errors and uncaught exceptions of one page; a test fails on any not allowed."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.allowed: list[str] = []
        page.on("console", self._record)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _record(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def allow(self, text: str) -> None:
        self.allowed.append(text)

    def assert_clean(self) -> None:
        unexpected = [e for e in self.errors if not any(a in e for a in self.allowed)]
        assert unexpected == [], f"console errors: {unexpected}"


class Transferred:
    """Bytes on the wire (headers and compressed bodies) for every request the page finishes."""

    def __init__(self, page: Page) -> None:
        self.total = 0
        self._cdp = page.context.new_cdp_session(page)
        self._cdp.on("Network.loadingFinished", self._finished)
        self._cdp.send("Network.enable")

    def forget_cache(self) -> None:
        """So the next load is a first load: nothing revalidated, everything sent again."""
        self._cdp.send("Network.clearBrowserCache")

    def _finished(self, event: dict[str, Any]) -> None:
        self.total += int(event["encodedDataLength"])


class Studio:
    def __init__(self, page: Page, edge_url: str, console: ConsoleLog) -> None:
        self.page = page
        self.edge_url = edge_url
        self.console = console
        page.context.add_init_script(_WATCH_PROGRESS)

    def open(self) -> None:
        self.page.goto(self.edge_url + "/")
        self.page.locator("#dev-sign-in").wait_for()

    def sign_in(self, account: str) -> None:
        self.open()
        self.page.get_by_label("Account id").fill(account)
        self.page.get_by_role("button", name="Sign in").click()
        self.wait_for_studio()

    def wait_for_studio(self) -> None:
        self.page.locator(".tool").first.wait_for()
        self.page.wait_for_function(
            "() => document.getElementById('credits-available').textContent !== '\\u2013'"
        )

    def choose(self, tool: str) -> None:
        self.page.get_by_role("button", name=tool, exact=True).click()

    def fill(self, field: str, value: str) -> None:
        self.page.locator(f"#field-{field}").fill(value)

    def select(self, field: str, choice: str) -> None:
        self.page.locator(f"#field-{field}").select_option(label=choice)

    def generate(self) -> None:
        """Presses Generate and waits until the page took in the edge's answer."""
        with self.page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/v1/generations")
        ):
            self.page.get_by_role("button", name="Generate").click()
        # Started: the previous results are cleared; refused: the message says why.
        self.page.wait_for_function(
            "() => (document.querySelector('#results .result') === null"
            " && document.getElementById('run-status').textContent !== 'Done.')"
            " || document.getElementById('message').textContent !== ''"
        )

    def wait_until_done(self) -> None:
        self.page.wait_for_function(
            "() => document.getElementById('run-status').textContent === 'Done.'"
            " && document.querySelector('#results .result') !== null",
            timeout=FINISH_WITHIN_MS,
        )

    def progress_values(self) -> list[int]:
        values: list[int] = self.page.evaluate("window.__progress")
        return values

    def result_media_id(self) -> str:
        media_id = self.page.locator("#results .result").first.get_attribute("data-media-id")
        assert media_id
        return media_id

    def shown_image_width(self) -> int:
        """The width of the result image once the browser decoded it."""
        script = (
            "() => { const img = document.querySelector('#results img');"
            " return img !== null && img.complete && img.naturalWidth; }"
        )
        return int(self.page.wait_for_function(script, timeout=FINISH_WITHIN_MS).json_value())

    def wait_for_playable(self, element: str) -> float:
        """The duration the page's <video> or <audio> reports once its metadata loaded."""
        script = (
            f"() => {{ const m = document.querySelector('#results {element}');"
            " return m !== null && Number.isFinite(m.duration) && m.duration > 0 && m.duration; }"
        )
        return float(self.page.wait_for_function(script, timeout=FINISH_WITHIN_MS).json_value())

    def screenshot(self, name: str) -> None:
        """The studio at desktop width and again at phone width, under docs/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        studio = self.page.locator("#studio")
        studio.screenshot(path=SCREENSHOTS / f"{name}-desktop.png")
        self.page.set_viewport_size(PHONE)
        studio.screenshot(path=SCREENSHOTS / f"{name}-phone.png")

    # The edge's API, as the signed-in page calls it.
    def token(self) -> str:
        token: str = self.page.evaluate("JSON.parse(localStorage.getItem('atelier.session')).token")
        return token

    def api(self, path: str, token: str | None = None) -> dict[str, Any]:
        answer = httpx.get(
            self.edge_url + path,
            headers={"Authorization": f"Bearer {token or self.token()}"},
            timeout=10,
        )
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def media_once_stored(self, media_id: str, token: str, within_s: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + within_s
        while True:
            media = self.api(f"/v1/media/{media_id}", token)
            if media["status"] == "stored" or time.monotonic() > deadline:
                return media
            time.sleep(0.25)
