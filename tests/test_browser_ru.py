"""The Russian UI in a real browser (issue #16): every page opened with ``?lang=ru`` reads
Russian, the sidebar's language switch keeps the filters of the link, and an export from the
Russian UI has Russian headers and filter lines (Debian Chromium driven by Playwright against
``streamlit run``; skipped without Chromium unless ``REQUIRE_BROWSER=1``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from i18n import _, use_language
from tests.support.browser import App, open_page, screenshot_without_exception, wait_for_app_run
from tests.support.visible_text import untranslated
from ui.registry import PAGES

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


@pytest.fixture(scope="module")
def app(xs_demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server for the module (local mode: the admin sees every page)."""
    server = App(xs_demo_url, tmp_path_factory.mktemp("browser_ru_app") / "streamlit.log")
    server.wait_healthy()
    yield server
    server.stop()


def russian_title(url_path: str) -> str:
    """The page's menu title in Russian, as the catalogue has it."""
    spec = next(spec for spec in PAGES if spec.url_path == url_path)
    with use_language("ru"):
        return _(spec.title)


def test_every_page_reads_russian_in_chromium(browser: Any, sync_api: Any, app: Any) -> None:
    expect = sync_api.expect
    assert russian_title("overview") == "Обзор" and russian_title("incentives") != "Incentives"
    for spec in PAGES:
        page = open_page(browser, sync_api, f"{app.base}/{spec.url_path}?lang=ru")
        screenshot_without_exception(page, f"ru-{spec.url_path}.png")
        heading = page.get_by_role("heading", name=russian_title(spec.url_path), exact=True)
        expect(heading).to_be_visible()
        nav = page.get_by_test_id("stSidebarNav")
        expect(
            nav.get_by_role("link", name=russian_title(spec.url_path), exact=True)
        ).to_be_visible()
        expect(page.get_by_text("Язык", exact=True)).to_be_visible()
        labels = page.locator("[data-testid='stWidgetLabel'], [data-testid='stMetricLabel']")
        texts = [text.strip() for text in labels.all_inner_texts() if text.strip()]
        assert texts, spec.url_path
        english = untranslated((("label", text) for text in texts), frozenset())
        assert english == [], (spec.url_path, english)  # the gate's rule: "E-mail" may stay
        page.close()


def test_the_language_switch_keeps_the_filters_in_chromium(
    browser: Any, sync_api: Any, app: Any
) -> None:
    expect = sync_api.expect
    link = f"{app.base}/funnel?period=custom&from=2026-01-01&to=2026-03-31"
    page = open_page(browser, sync_api, link)
    expect(page.get_by_role("heading", name="Funnel", exact=True)).to_be_visible()
    page.get_by_role("combobox", name="Language").click()
    page.get_by_role("option", name="Русский").click()
    wait_for_app_run(page, sync_api)
    expect(page.get_by_role("heading", name="Воронка", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"lang=ru"))
    assert "from=2026-01-01" in page.url and "to=2026-03-31" in page.url
    expect(page.get_by_role("combobox", name="Период")).to_have_value("Свой диапазон")
    expect(page.get_by_text("1 янв. – 31 мар. 2026").first).to_be_visible()
    screenshot_without_exception(page, "ru-funnel-switched.png")
    page.close()


def test_a_russian_export_has_russian_headers_in_chromium(
    browser: Any, sync_api: Any, app: Any
) -> None:
    page = open_page(browser, sync_api, f"{app.base}/overview?lang=ru")
    downloads = page.get_by_test_id("stDownloadButton")
    with page.expect_download() as download:
        downloads.filter(has_text="CSV").first.click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    page.close()
    comments = [line for line in lines if line.startswith("#")]
    assert comments[0].startswith("# Страница: Обзор — ")
    assert (
        "# Период: 1 июл. 2025 – 29 июн. 2026 (с 2025-07-01 по 2026-06-30, не включая конец)"
        in comments
    )
    assert any(line.startswith("# Сравнение с: Предыдущий период") for line in comments)
    assert comments[-1] == "# Доступ: все данные"
    header = next(csv.reader(lines[len(comments) :]))
    assert header and all(CYRILLIC.search(name) for name in header), header
