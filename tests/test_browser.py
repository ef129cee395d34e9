"""The app in a real browser: Debian Chromium driven by Playwright against ``streamlit run``.

Skipped when /usr/bin/chromium or Playwright is missing, unless ``REQUIRE_BROWSER=1`` (CI), which
turns the skip into a failure.  Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from crm_data.demo import seed_demo
from crm_data.info import database_info

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_or_skip() -> Any:
    """The Playwright sync API module, or skip (fail under REQUIRE_BROWSER=1)."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        from playwright import sync_api
    except ImportError as exc:
        reason = f"playwright is not installed: {exc}"
        sync_api = None
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    return sync_api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class App:
    """A ``streamlit run app.py`` server on a free local port."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_AUTO_SEED": "0"}
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(self.port), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.log = log

    def wait_healthy(self, timeout: float = 60) -> None:
        """Poll ``/_stcore/health`` until the server answers ``ok``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"streamlit exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2) as reply:
                    if reply.read().decode().strip() == "ok":
                        return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"streamlit did not answer within {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Terminate the server (kill if it does not stop)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def sync_api() -> Any:
    return _browser_or_skip()


@pytest.fixture(scope="module")
def browser(sync_api: Any) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB seeded with demo size XS."""
    url = f"duckdb:///{tmp_path_factory.mktemp('browser') / 'xs.duckdb'}"
    engine = sa.create_engine(url)
    seed_demo(engine, size="XS", seed=42, end=date(2026, 6, 30))
    engine.dispose()
    return url


def wait_for_app_run(page: Any, sync_api: Any) -> None:
    """Wait until the script run finished (Streamlit's own e2e pattern)."""
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=60_000)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']",
        state="attached",
        timeout=60_000,
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']",
        state="attached",
        timeout=120_000,
    )
    sync_api.expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)


def open_page(browser: Any, sync_api: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1500})
    page.goto(url, timeout=60_000)
    wait_for_app_run(page, sync_api)
    return page


def screenshot_without_exception(page: Any, name: str) -> None:
    """Save a full-page screenshot under ``SCREENSHOTS`` and assert no exception is shown."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0


def test_data_page_in_chromium(
    browser: Any, sync_api: Any, seeded_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(seeded_url)
    deals = database_info(engine).table("deals").rows
    engine.dispose()
    app = App(seeded_url, tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/data")
        screenshot_without_exception(page, "data.png")
        card = page.get_by_test_id("stMetric").filter(has_text="Deals")
        sync_api.expect(card.get_by_test_id("stMetricValue")).to_have_text(f"{deals:,}")
        sync_api.expect(page.get_by_test_id("stDataFrame")).to_be_visible()
        sync_api.expect(page.get_by_text(seeded_url).first).to_be_visible()
        page.close()
        home = open_page(browser, sync_api, f"{app.base}/")  # the root lands on the first page
        sync_api.expect(home).to_have_url(f"{app.base}/data")
        sync_api.expect(home.get_by_role("heading", name="Data")).to_be_visible()
        home.close()
    finally:
        app.stop()


def test_error_panel_in_chromium(browser: Any, sync_api: Any, tmp_path: Path) -> None:
    app = App("postgresql+psycopg://nobody:pw@127.0.0.1:1/x", tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/data")
        screenshot_without_exception(page, "data-unreachable.png")
        sync_api.expect(page.get_by_text("Cannot open the CRM database")).to_be_visible()
        masked = page.get_by_text("postgresql+psycopg://nobody:***@127.0.0.1:1/x")
        sync_api.expect(masked.first).to_be_visible()
        assert "nobody:pw@" not in page.content()
        page.close()
    finally:
        app.stop()
