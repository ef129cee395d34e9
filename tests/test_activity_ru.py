"""The Activity area in Russian: the page through AppTest with ``CRM_LANGUAGE=ru``, the call
list's suggested actions and the activity charts under ``use_language("ru")`` (hand-written
expected text); English unchanged."""

from __future__ import annotations

from datetime import date

import pandas as pd

from i18n import use_language
from reports.activity import call_list
from tests.support.apptest import app_database_fixtures, page_in
from ui.activity_charts import activity_heatmap, activity_type_label, weekly_activity_figure

url = app_database_fixtures("activity_ru")[0]


def test_the_activity_page_in_russian(url: str) -> None:
    at = page_in("ru", "pages/activity.py")
    assert at.title[0].value == "Активность"
    assert [tab.label for tab in at.tabs] == [
        "Забытые клиенты — список обзвона", "Просроченные повторные контакты", "Переговоры",
        "Новые и вернувшиеся клиенты", "Причины проигрыша",
    ]  # fmt: skip
    assert "Дисциплина по менеджерам" in [h.value for h in at.subheader]
    assert any(m.label == "Проиграны без причины" for m in at.metric)
    assert at.toggle(key="act_rhythm").label == (
        "Найти также постоянных клиентов, выпавших из своего ритма покупок"
    )


def _forgotten() -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": [1, 2, 3], "account": ["A", "B", "C"], "owner": ["x", "y", "z"],
        "region": ["N", "N", "S"],
        "last_contact_at": pd.to_datetime(pd.Series([None, "2026-01-05", "2026-02-01"])),
        "last_order_at": pd.to_datetime(pd.Series([None, "2026-01-05", None])),
        "days_since_contact": [120.0, 150.0, 100.0], "revenue": [3.0, 2.0, 1.0],
    })  # fmt: skip


def test_the_call_list_suggests_actions_in_russian() -> None:
    with use_language("ru"):
        actions = call_list(_forgotten())["action"].tolist()
    assert actions == [
        "Звонок-знакомство: контактов ещё не было",
        "Звонок о повторном заказе",
        "Звонок, чтобы напомнить о себе",
    ]
    assert call_list(_forgotten())["action"].tolist() == [
        "Introduction call: never contacted", "Call about a re-order", "Check-in call",
    ]  # fmt: skip


def test_activity_types_and_charts_in_russian() -> None:
    trend = pd.DataFrame({
        "period": pd.to_datetime(["2026-11-02", "2026-11-02"]), "type": ["call", "meeting"],
        "activities": [1200, 3],
    })  # fmt: skip
    previous = pd.DataFrame({"period": pd.to_datetime(["2026-11-02"]), "previous": [1000]})
    heat = trend.assign(name="Ивана Петрова")
    with use_language("ru"):
        assert activity_type_label("call") == "звонок"
        assert activity_type_label("visit") == "visit"  # an unknown code as it is
        fig = weekly_activity_figure(trend, previous, (date(2026, 11, 4), date(2026, 11, 30)))
        heatmap = activity_heatmap(heat)
    assert [trace.name for trace in fig.data] == [
        "звонок", "встреча", "Период сравнения (все типы)"
    ]  # fmt: skip
    assert fig.layout.separators == ",\u00a0"
    assert fig.data[0].hovertemplate.startswith("неделя с %{text}: звонок — %{y}")
    assert fig.data[0].customdata[0] == "<br>неполная неделя: в периоде 5 дн. из 7"
    assert list(fig.data[0].text) == ["02 нояб. 2026"]
    assert list(heatmap.data[0].x) == ["02 нояб."]
    assert heatmap.data[0].colorbar.title.text == "выполнено"
    english = weekly_activity_figure(trend, previous)
    assert [trace.name for trace in english.data][-1] == "Comparison period (all types)"
    assert list(activity_heatmap(heat).data[0].x) == ["02 Nov"]
