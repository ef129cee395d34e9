"""What the pages look like in Chromium (issue #13 item 8): nothing cut off.

Uses the fixtures and the app server of :mod:`tests.test_browser` (skipped without Chromium or
Playwright unless ``REQUIRE_BROWSER=1``); screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_browser import (
    App,
    browser,
    open_page,
    screenshot_without_exception,
    seeded_url,
    sync_api,
)

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
