"""What the pages look like in Chromium (issue #13 item 8): nothing cut off.

Uses the fixtures and the app server of :mod:`tests.test_browser` (skipped without Chromium or
Playwright unless ``REQUIRE_BROWSER=1``); screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import test_browser
from tests.test_browser import (
    App,
    browser,
    open_page,
    screenshot_without_exception,
    seeded_url,
    sync_api,
    wait_for_app_run,
)
from ui.seeding import STEP_LABELS

pytestmark = pytest.mark.browser

__all__ = ["browser", "seeded_url", "sync_api"]  # the fixtures this module uses

#: The title, value and delta of every visible metric card whose text an element cuts ("…").
CUT_TEXTS = """() => [...document.querySelectorAll(
    "[data-testid='stMetricLabel'], [data-testid='stMetricValue'], [data-testid='stMetricDelta']")]
  .filter(part => part.offsetParent !== null)
  .filter(part => [part, ...part.querySelectorAll("*")].some(e =>
    e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== "visible"))
  .map(part => part.innerText)"""


def test_kpi_cards_are_never_cut_off(
    browser: Any, sync_api: Any, seeded_url: str, tmp_path: Path
) -> None:
    app = App(seeded_url, tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        for path in ("overview", "funnel", "activity"):
            page = open_page(browser, sync_api, f"{app.base}/{path}")
            for width in (1400, 1100):  # Streamlit's default: one line each, cut with "…"
                page.set_viewport_size({"width": width, "height": 1500})
                cards = page.get_by_test_id("stMetric").filter(visible=True)
                sync_api.expect(cards.first).to_be_visible()
                assert cards.count() >= 9, path
                assert page.evaluate(CUT_TEXTS) == [], (path, width)
                screenshot_without_exception(page, f"{path}-cards-{width}.png")
            page.close()
    finally:
        app.stop()


def test_first_start_shows_words_not_file_or_table_names(
    browser: Any, sync_api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect = sync_api.expect
    popen = subprocess.Popen

    def seeding_popen(*args: Any, env: dict[str, str], **kwargs: Any) -> Any:
        """The app server of :class:`App`, with the first-start seeding left on (size M: it
        lasts long enough to look at)."""
        return popen(*args, env={**env, "CRM_AUTO_SEED": "1", "CRM_DEMO_SIZE": "M"}, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(test_browser.subprocess, "Popen", seeding_popen)
        app = App(f"duckdb:///{tmp_path / 'new.duckdb'}", tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{app.base}/overview", timeout=60_000)
        expect(page.get_by_text("First start: creating a demo company (size M)")).to_be_visible(
            timeout=60_000
        )
        bar = page.get_by_test_id("stProgress")
        expect(bar).to_be_visible()
        step = bar.inner_text().strip()
        screenshot_without_exception(page, "first-start-seeding.png")
        # while seeding: no sidebar listing "app", "overview", ... (the files of pages/),
        # and the step in words ("Saving the deals…"), not a table name ("deal_stage_history")
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        assert step.removesuffix("…") in STEP_LABELS.values() or step.startswith("Seeding"), step
        # then the app as usual: the registered pages, the Overview with the demo's numbers
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(
            timeout=240_000
        )
        wait_for_app_run(page, sync_api)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="Funnel", exact=True)).to_be_visible()
        expect(nav.get_by_text("app", exact=True)).to_have_count(0)
        screenshot_without_exception(page, "first-start-done.png")
        page.close()
    finally:
        app.stop()
