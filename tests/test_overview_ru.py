"""The Overview in Russian: the page through ``AppTest`` in Russian (title, tabs, headings, KPI
labels and captions, the charts' hover texts), the KPI catalogue and the Overview's figures under
``use_language("ru")`` (hand-written expected text); English unchanged."""

from __future__ import annotations

import json

import pandas as pd

from i18n import use_language
from reports.catalogue import metric
from tests.support.apptest import app_database_fixtures, page_in
from ui.charts import pipeline_figure, trend_figure

url = app_database_fixtures("overview_ru")[0]


def test_the_overview_page_in_russian(url: str) -> None:
    at = page_in("ru", "pages/overview.py")
    assert at.title[0].value == "Обзор"
    assert [tab.label for tab in at.tabs] == [
        "Крупнейшие выигранные", "Крупнейшие проигранные", "Перенесённые",
    ]  # fmt: skip
    headings = [h.value for h in at.subheader]
    assert "Что изменилось" in headings and "Требует внимания" in headings
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["Выручка по выигранным сделкам", "Выигранные сделки", "Доля выигранных"]
    expected = {
        "Открытая воронка", "Взвешенная воронка", "Активные переговоры", "Забытые клиенты",
        "Зависшие сделки", "Просроченные повторные контакты",
    }  # fmt: skip
    assert expected <= set(labels)
    win_rate = next(m for m in at.metric if m.label == "Доля выигранных")
    assert win_rate.value.endswith("\u00a0%") and "," in win_rate.value  # 41,0 %
    captions = [c.value for c in at.caption]
    assert sum(c.startswith("было ") for c in captions) == 10  # one under each KPI card
    assert any(c.endswith("выигранные сделки") or c.endswith("выигранных сделок") for c in captions)
    assert "Открытые сделки, которые должны были закрыться в периоде, но не закрылись." in captions
    assert [m.value for m in at.markdown][:3] == [
        "**2 кв. 2026: прогноз и план**",
        "**Выручка по выигранным сделкам по месяцам** и период для сравнения",
        "**Открытая воронка по этапам** на конец периода",
    ]
    trend, pipeline = (json.loads(chart.proto.spec) for chart in at.get("plotly_chart")[:2])
    assert [trace["name"] for trace in trend["data"]] == ["Этот период", "Период сравнения"]
    assert [trace["name"] for trace in pipeline["data"]] == ["Сумма", "Взвешенная сумма"]
    assert pipeline["layout"]["separators"] == ",\u00a0"
    assert pipeline["data"][1]["customdata"][0].startswith("взвешенная сумма ")


def test_the_catalogue_in_russian() -> None:
    with use_language("ru"):
        card = metric("followup_compliance").kpi(0.5, 0.4)
        forgotten = metric("forgotten_clients").definition
    assert card.label == "Повторные контакты в срок"
    assert card.help.startswith("Запланированные на период активности")
    assert "{" not in forgotten and "дн. до конца периода" in forgotten
    assert metric("followup_compliance").kpi(0.5, 0.4).label == "Follow-up compliance"


def test_the_overview_charts_in_russian() -> None:
    trend = pd.DataFrame({
        "month": pd.to_datetime(["2026-11-01", "2026-12-01"]), "current": [1_234_567.0, 50.0],
        "previous": [80.0, 0.0], "previous_month": pd.to_datetime(["2025-11-01", "2025-12-01"]),
        "partial": [False, True],
    })  # fmt: skip
    by_stage = pd.DataFrame({
        "stage_id": [2, 1], "stage": ["Proposal", "Lead"], "position": [2, 1],
        "probability": [0.5, 0.1], "deals": [3, 21], "amount": [300.0, 1000.0],
        "weighted_amount": [150.0, 100.0],
    })  # fmt: skip
    with use_language("ru"):
        revenue = trend_figure(trend, "RUB", "Этот период", "Период сравнения")
        bars, line = revenue.data
        stages = pipeline_figure(by_stage, "RUB")
    assert list(bars.x) == ["нояб. 2026", "дек. 2026"]
    assert [list(row) for row in bars.customdata] == [
        ["", "1\u00a0234\u00a0567\u00a0₽"], [" (неполный месяц)", "50\u00a0₽"],
    ]  # fmt: skip
    assert list(line.customdata) == ["нояб. 2025", "дек. 2025"]
    assert list(revenue.layout.yaxis.ticktext) == [
        "0\u00a0₽", "250\u00a0тыс.\u00a0₽", "500\u00a0тыс.\u00a0₽", "750\u00a0тыс.\u00a0₽",
        "1\u00a0млн\u00a0₽", "1,25\u00a0млн\u00a0₽",
    ]  # fmt: skip
    assert list(stages.data[0].text) == ["21 сделка", "3 сделки"]
    assert [list(row) for row in stages.data[0].customdata] == [
        ["1\u00a0000\u00a0₽ в 21 сделке", "вероятность 10\u00a0%"],
        ["300\u00a0₽ в 3 сделках", "вероятность 50\u00a0%"],
    ]
    # widest bar 1,000: about three ticks up to 1,250 (the room right of the bars)
    assert list(stages.layout.xaxis.ticktext) == [
        "0\u00a0₽", "500\u00a0₽", "1\u00a0тыс.\u00a0₽", "1,5\u00a0тыс.\u00a0₽",
    ]  # fmt: skip
    english = pipeline_figure(by_stage, "USD")
    assert list(english.data[0].customdata[0]) == ["$1,000 in 21 deals", "probability 10%"]
    assert list(english.layout.xaxis.ticktext) == ["$0", "$500", "$1k", "$1.5k"]
    assert english.data[1].name == "Weighted"
