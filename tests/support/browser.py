"""The app under ``streamlit run`` for Playwright and Debian's Chromium.

Skipped when /usr/bin/chromium or Playwright is missing, unless ``REQUIRE_BROWSER=1`` (CI), which
turns the skip into a failure.  Screenshots go to ``test-artifacts/screenshots/``.  The
``sync_api`` and ``browser`` fixtures are in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.apptest import TODAY

ROOT = Path(__file__).resolve().parents[2]
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


def browser_or_skip() -> Any:
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


def free_port() -> int:
    """A local TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class App:
    """A ``streamlit run app.py`` server on a free local port."""

    def __init__(
        self,
        url: str,
        log: Path,
        secrets: str | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # an app database of its own beside the log: no plans or users of other tests' apps
        env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_AUTO_SEED": "0",
               "CRM_TODAY": TODAY.isoformat(),
               "CRM_APP_DATABASE_URL": f"sqlite:///{log.parent / 'app.sqlite'}",
               **(env or {})}  # fmt: skip
        env.pop("CRM_AUTH_MODE", None)
        extra: list[str] = []
        if secrets is not None:  # a secrets file of its own (e.g. [auth] for OIDC)
            secrets_file = log.with_name("secrets.toml")
            secrets_file.write_text(secrets)
            extra = ["--secrets.files", str(secrets_file)]
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(self.port), "--server.headless", "true",
             "--server.address", address, "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", *extra],
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
    """A new tab on ``url``, once the app's run has finished."""
    page = browser.new_page(viewport={"width": 1400, "height": 1500})
    page.goto(url, timeout=60_000)
    wait_for_app_run(page, sync_api)
    return page


def screenshot_without_exception(page: Any, name: str) -> None:
    """Save a full-page screenshot under ``SCREENSHOTS`` and assert no exception is shown."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
