"""The Funnel page in Russian: headings, tabs, the split picker and the formatted tiles through
``AppTest`` with ``CRM_LANGUAGE=ru`` (hand-written expected text)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.apptest import app_database, run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An S demo database the app reads."""
    with app_database(tmp_path_factory.mktemp("funnel_ru")) as url:
        yield url


def test_the_funnel_page_in_russian(demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_LANGUAGE", "ru")
    at = run()
    at.switch_page("pages/funnel.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Воронка"
    labels = [tab.label for tab in at.tabs]
    assert labels[0] == "Время на этапе"
    assert labels[1].startswith("Зависшие сделки (")
    assert labels[2:] == ["Причины проигрыша", "Изменение воронки", "Движение по этапам"]
    assert "Воронка новых сделок периода" in [h.value for h in at.subheader]
    split = at.selectbox(key="funnel_by")
    assert split.label == "Разбить воронку по"
    assert split.format_func("industry") == "Отрасль"
    assert at.selectbox(key="flt_period").format_func("year_to_date") == "С начала года"
    cycle = next(m for m in at.metric if m.label.startswith("Длительность") or "дн." in m.value)
    assert cycle.value.endswith(" дн.")  # a Russian decimal comma and unit
    assert "," in cycle.value
