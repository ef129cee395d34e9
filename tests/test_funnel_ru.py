"""The Funnel page in Russian: headings, tabs, the split picker and the formatted tiles through
``AppTest`` with ``CRM_LANGUAGE=ru`` (hand-written expected text)."""

from __future__ import annotations

from tests.support.apptest import app_database_fixtures, page_in

url = app_database_fixtures("funnel_ru")[0]


def test_the_funnel_page_in_russian(url: str) -> None:
    at = page_in("ru", "pages/funnel.py")
    assert at.title[0].value == "Воронка"
    labels = [tab.label for tab in at.tabs]
    assert labels[0] == "Время на этапе"
    assert labels[1].startswith("Зависшие сделки (")
    assert labels[2:] == ["Причины проигрыша", "Изменение воронки", "Движение по этапам"]
    assert "Воронка новых сделок периода" in [h.value for h in at.subheader]
    split = at.selectbox(key="funnel_by")
    assert split.label == "Разбить воронку по"
    assert "Отрасль" in split.options  # the options as the page drew them
    assert "С начала года" in at.selectbox(key="flt_period").options
    cycle = next(m for m in at.metric if m.label.startswith("Длительность") or "дн." in m.value)
    assert cycle.value.endswith(" дн.")  # a Russian decimal comma and unit
    assert "," in cycle.value
