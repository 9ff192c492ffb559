"""The HTML report in real headless Chromium, driven over the DevTools protocol.

Chromium is started by the test when it is installed (Debian package ``chromium``; CI installs
it); otherwise the test is skipped with the reason. The page must load with no console error, no
uncaught exception and no Content-Security-Policy violation; the ``<script>`` planted in a
conversation must not run; the filters must work; and a screenshot must come out.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """A headless Chromium process and one page, spoken to over the DevTools websocket."""

    def __init__(self, binary: str, profile: Path) -> None:
        import websocket  # websocket-client

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._port(profile / "DevToolsActivePort")
        page = self._page_target(port)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _port(self, marker: Path) -> int:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.process.returncode}")
            if marker.exists():
                text = marker.read_text().split()
                if text:
                    return int(text[0])
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools port within 120 s")

    @staticmethod
    def _page_target(port: int) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=60) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return pages[0]
            time.sleep(0.05)
        raise RuntimeError("chromium opened no page target")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result; events met meanwhile are kept."""
        self._next_id += 1
        call_id = self._next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for seen in self.events:
            if seen["method"] == event:
                return seen
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if "method" in message:
                self.events.append(message)
                if message["method"] == event:
                    return message
        raise TimeoutError(f"no {event} within {timeout} s")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def settle(self, seconds: float = 0.3) -> None:
        """Let pending events arrive (a no-op evaluation after a short pause collects them)."""
        time.sleep(seconds)
        self.evaluate("1")

    def problems(self) -> list[str]:
        """Console errors/warnings, uncaught exceptions and browser log errors seen so far."""
        out = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning"):
                texts = [str(a.get("value", a.get("description", ""))) for a in params["args"]]
                out.append(f"console.{params['type']}: {' '.join(texts)}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                description = details.get("exception", {}).get("description", details.get("text"))
                out.append(f"exception: {description}")
            elif method == "Log.entryAdded" and params["entry"].get("level") in (
                "error",
                "warning",
            ):
                entry = params["entry"]
                out.append(f"log {entry['level']} ({entry.get('source')}): {entry.get('text')}")
        return out

    def screenshot(self, path: Path, width: int = 1400) -> Path:
        """A PNG of the whole page at ``width`` CSS pixels."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=min(height, 12000),
            deviceScaleFactor=1,
            mobile=False,
        )
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def open_page(browser: Browser, url: str, width: int = 1400) -> None:
    for domain in ("Page", "Runtime", "Log"):
        browser.send(f"{domain}.enable")
    browser.send(
        "Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1,
        mobile=False,
    )  # fmt: skip
    browser.send("Page.navigate", url=url)
    browser.wait_for("Page.loadEventFired")
    browser.settle()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture
def browser(tmp_path):
    binary = chromium_path()
    if binary is None:
        pytest.skip(
            "Chromium is not installed (Debian: apt-get install chromium); "
            "the report's browser test needs a real headless browser"
        )
    pytest.importorskip("websocket", reason="the DevTools client needs websocket-client")
    instance = Browser(binary, tmp_path / "profile")
    try:
        yield instance
    finally:
        instance.close()


def test_report_loads_cleanly_in_chromium(browser, report_file, tmp_path):
    open_page(browser, report_file.as_uri())

    assert browser.problems() == []
    assert browser.evaluate("document.title") == "Memory harness report"
    # The planted script neither ran nor became an element: it is text in the conversation.
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.querySelectorAll('main script').length") == 0
    planted = browser.evaluate(
        "Array.from(document.querySelectorAll('.msg .text'))"
        ".map(e => e.textContent).filter(t => t.includes('<script>')).length"
    )
    assert planted >= 1
    # intervals, tag heatmap, latency (offline baselines use no tokens and cost nothing)
    assert browser.evaluate("document.querySelectorAll('svg.chart').length") == 3
    assert browser.evaluate("document.querySelectorAll('table.board tbody tr').length") == 3

    # Only the chosen run's confusion tables are visible.
    visible = (
        "Array.from(document.querySelectorAll('.confusion'))"
        ".filter(e => !e.classList.contains('hidden')).map(e => e.dataset.run)"
    )
    assert browser.evaluate(visible) == ["A"]
    browser.evaluate(
        "const s = document.getElementById('confusion-run'); s.value = 'C';"
        "s.dispatchEvent(new Event('change'))"
    )
    assert browser.evaluate(visible) == ["C"]

    # The case filter narrows the list and counts what it shows.
    total = browser.evaluate("document.querySelectorAll('details.case').length")
    assert total >= 2
    browser.evaluate(
        "const f = document.getElementById('case-filter'); f.value = 'inject';"
        "f.dispatchEvent(new Event('input'))"
    )
    assert browser.evaluate("document.getElementById('case-count').textContent") == (
        f"1 of {total} cases shown"
    )
    browser.evaluate("document.getElementById('expand-all').click()")
    assert browser.evaluate("document.querySelectorAll('details.case[open]').length") == 1

    # Sorting the leaderboard by micro F1 puts the oracle first.
    browser.evaluate("document.querySelectorAll('table.board th')[2].click()")
    first = browser.evaluate("document.querySelector('table.board tbody tr .label').textContent")
    assert "oracle" in first

    browser.settle()
    assert browser.problems() == []
    shot = browser.screenshot(tmp_path / "report.png")
    data = shot.read_bytes()
    width, height = png_size(data)
    assert width == 1400 and height > 900
    assert len(data) > 30_000, "the screenshot is suspiciously small (a blank page?)"
    if os.environ.get("HARNESS_REPORT_SCREENSHOT"):
        shutil.copy(shot, os.environ["HARNESS_REPORT_SCREENSHOT"])


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    from report_cases import record_runs, write_dataset

    from harness.reports.html import write_report

    folder = tmp_path_factory.mktemp("report")
    dataset = write_dataset(folder / "tiny.jsonl")
    db = folder / "results.duckdb"
    record_runs(db, dataset)
    return write_report(db, output=folder / "report.html").path
