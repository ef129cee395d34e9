"""The Incentives area in Russian: the page through AppTest with ``CRM_LANGUAGE=ru``, the plan's
sanity warnings, gaming signals, plan changes and the plan store's errors under
``use_language("ru")`` (hand-written expected text, plurals included); English unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest

from analytics.incentives.gaming_signals import gaming_signals
from analytics.incentives.plan import Plan, PlanItem, check_period
from analytics.incentives.plan_warnings import plan_warnings
from appdb.plans import StoredItem, StoredPlan
from crm_data.filters import Scope
from i18n import use_language
from reports.plan_changes import plan_changes
from reports.plan_store import PlanError, save_plan
from tests.support.apptest import app_database_fixtures, page_in


def spaced(text: str) -> str:
    """``text`` with Babel's no-break spaces as plain ones."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


url = app_database_fixtures("incentives_ru")[0]


def test_the_incentives_page_in_russian(url: str) -> None:
    at = page_in("ru", "pages/incentives.py")
    assert at.title[0].value == "Мотивация (KPI)"
    assert [tab.label for tab in at.tabs] == ["Оценки", "План", "Что если", "История"]
    assert at.selectbox(key="inc_plan").label == "План"
    summary = [d.value for d in at.dataframe if "Балл" in d.value.columns]
    assert summary and {"Менеджер", "Премия", "В графике", "Под угрозой"} <= set(summary[0].columns)
    assert any(m.label == "Премиальный фонд сейчас" for m in at.metric)
    assert any("рабочих дн" in c.value and "Факт с " in c.value for c in at.caption)


def test_a_rep_reads_their_card_in_russian(url: str) -> None:
    at = page_in("ru", "pages/incentives.py", role="rep", employee=1)  # a rep the plans score
    assert [m.label for m in at.metric] == [
        "Ваш балл", "Премия при этом балле", "Позиций в графике"
    ]  # fmt: skip


def test_plan_warnings_in_russian() -> None:
    plan = Plan((PlanItem("won_deals", 0.5, target=10, cap=0.8), PlanItem("new_deals", 0.4, 5)))
    history = pd.DataFrame({"period": [date(2026, 1, 1)] * 2, "rep_id": [1, 2],
                            "metric_key": "won_deals", "actual": [4.0, 5.0]})  # fmt: skip
    with use_language("ru"):
        messages = [spaced(w.message) for w in plan_warnings(plan, history, labels={
            "won_deals": "Won deals"})]  # fmt: skip
    assert messages[0] == (
        "Сумма весов — 0,9 (90 %), а не 100 %: измените веса, чтобы в сумме получилась 1. "
        "Баллы считаются по шкале 0,9 вместо 1 (100 %)."
    )
    assert "Выигранные сделки: потолок 80 % ниже 100 %" in messages[1]
    assert messages[2].startswith(
        "Выигранные сделки: ни один менеджер не выполнил цель ни в одном из последних 1 периода "
        "(начавшемся 01.01.2026); лучшее выполнение плана — 50 %."
    )
    english = [w.message for w in plan_warnings(plan)]
    assert english[0].startswith("The weights sum to 0.9 (90 %), not 100 %")


def test_gaming_signals_in_russian_with_plurals() -> None:
    activity = pd.DataFrame(
        {
            "rep_id": 1,
            "period": [1, 2, 3],
            "activities": [100, 100, 150],
            "conversions": [10, 10, 9],
        }
    )
    calls = pd.DataFrame({"rep_id": 1, "calls": [21], "short_calls": [15]})
    with use_language("ru"):
        messages = [spaced(m) for m in gaming_signals(activity, calls)["message"]]
    assert messages[0] == (
        "15 из 21 звонка (71 %) были короче 2 мин (больше 50 %): проверьте, были ли это "
        "настоящие разговоры."
    )
    assert messages[1] == (
        "Активностей на 50 % больше среднего за предыдущие 2 периода (100 → 150), а конверсия "
        "на активность упала на 40 % (10,00 % → 6,00 %): проверьте качество внесённых "
        "активностей."
    )


def test_plan_checks_and_changes_in_russian() -> None:
    with use_language("ru"), pytest.raises(ValueError) as error:
        check_period(date(2026, 10, 1), date(2026, 10, 1))
    assert str(error.value).startswith("период заканчивается (01.10.2026) не позже, чем")
    with use_language("ru"), pytest.raises(ValueError, match="'Won deals': вес должен быть ≥ 0"):
        PlanItem("won_deals", -1, label="Won deals")
    item = StoredItem("won_deals", 1.0, target=10.0)
    v1 = StoredPlan("q2", 1, "Q2", date(2026, 4, 1), date(2026, 7, 1), 3, 1000.0,
                    datetime(2026, 4, 1), 7, (item,))  # fmt: skip
    v2 = replace(v1, version=2, on_target_bonus=1500.0,
                 items=(replace(item, rep_targets=((4, 9.0),)),))  # fmt: skip
    with use_language("ru"):
        rows = plan_changes(v1, v2)[["part", "field", "before", "after"]].values.tolist()
    assert rows[0] == ["План", "Целевая премия", 1000.0, 1500.0]
    assert rows[1][1:] == ["Индивидуальные цели", "нет", "1 менеджер"]


def test_the_plan_store_refuses_in_russian() -> None:
    with use_language("ru"), pytest.raises(PlanError) as error:
        save_plan(None, Scope.everyone(), None, name="X", period_start=None,  # type: ignore[arg-type]
                  period_end=None, team_id=None, items=[])  # fmt: skip
    assert str(error.value).startswith("Для периода плана нужны первый и последний день")
