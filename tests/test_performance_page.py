"""The Performance page through ``AppTest`` on a fresh S demo database: the leaderboard against
the report, the metric and the profile kept in the URL, the drill-through to a rep's profile,
the scope of a rep (their own row and team aggregates; a link naming a colleague shows their own
profile with a notice) and of a head, exports, and the page in Russian."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from appdb.databases import Databases
from crm_data.filters import Filters, Scope
from i18n import use_language
from reports.catalogue import metric
from reports.incentives import incentive_report
from reports.performance import rep_board
from reports.plan_store import list_plans, load_plan
from reports.rep_profile import profile_choices
from tests.support.apptest import TODAY, app_database_fixtures, plain, run
from ui.rep_tables import board_frames, weak_spot_sentence
from ui.url_filters import Selection, build_filters

PAGE = "pages/performance.py"

url, engine, databases = app_database_fixtures("performance")


@pytest.fixture(scope="module")
def filters() -> Filters:
    """The filters of a link without parameters (the last 12 months to 29 Jun 2026)."""
    return build_filters(Selection(), TODAY)[0]


@pytest.fixture(scope="module")
def staff(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, team_id FROM employees WHERE role = 'rep' "
                                    "ORDER BY id")).all()  # fmt: skip
    return pd.DataFrame(rows, columns=["id", "team_id"])


def performance(**kwargs: object) -> AppTest:
    """The app run as ``tests.support.apptest.run`` does, then on the Performance page."""
    at = run(**kwargs)  # type: ignore[arg-type]
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def board_table(at: AppTest) -> pd.DataFrame:
    """The leaderboard (the page's first table; a rep's is not selectable, so has no key)."""
    return at.dataframe[0].value


def test_the_leaderboard_is_the_reports(url: str, engine: sa.Engine, filters: Filters) -> None:
    at = performance()
    assert at.title[0].value == "Performance"
    board = rep_board(engine, filters, Scope.everyone(), "win_rate")
    shown = board_table(at)
    assert len(shown) == board.reps > 10
    assert shown["Rep"].tolist() == board.table["name"].tolist()
    assert shown["Closed deals"].tolist() == [f"{n:,}" for n in board.table["size"]]
    top = board.table.iloc[0]
    assert shown["Win rate"].iloc[0] == f"{100 * top['value']:.1f}%"
    assert shown["Shrunk"].iloc[0] == f"{100 * top['shrunk']:.1f}%"
    # the shrunk range is inside the raw one: small samples are pulled to the team
    assert board.raw_range[0] < board.shrunk_range[0] < board.shrunk_range[1] < board.raw_range[1]
    caption = next(c.value for c in at.caption if "reps compared" in c.value)
    assert caption.startswith(f"{board.reps} reps compared · team {100 * board.team_value:.1f}%")
    assert f"Closed deals: {board.team_size:,}" in caption


def test_metric_and_profile_from_the_url(engine: sa.Engine, filters: Filters) -> None:
    names = profile_choices(engine, Scope.everyone())
    rep = list(names)[3]
    at = performance(query={"metric": "followup_compliance", "profile": str(rep)})
    assert at.selectbox(key="perf_metric").value == "followup_compliance"
    assert at.selectbox(key="perf_rep").value == rep
    assert at.query_params["profile"] == str(rep)
    assert any(m.value == f"### {names[rep]}" or m.value.startswith(f"### {names[rep]} ·")
               for m in at.markdown)  # fmt: skip
    board = rep_board(engine, filters, Scope.everyone(), "followup_compliance")
    assert board_table(at)["Follow-ups due"].tolist() == [f"{n:,}" for n in board.table["size"]]
    # a total is compared raw: no shrunk column
    at.selectbox(key="perf_metric").set_value("won_revenue").run()
    assert not at.exception
    assert "Shrunk" not in board_table(at).columns
    assert at.query_params["metric"] == "won_revenue"


def test_a_row_of_the_leaderboard_opens_that_reps_profile(engine: sa.Engine) -> None:
    at = performance()
    second = board_table(at)["Rep"].iloc[1]
    at.session_state["perf_board"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any(f"to see {second}" in c.value for c in at.caption)
    names = profile_choices(engine, Scope.everyone())
    assert names[at.selectbox(key="perf_rep").value] == second


def test_a_rep_sees_their_own_row_and_profile_only(
    engine: sa.Engine, filters: Filters, staff: pd.DataFrame
) -> None:
    rep, colleague = (int(i) for i in staff["id"].iloc[:2])
    at = performance(role="rep", employee=rep, query={"profile": str(colleague)})
    shown = board_table(at)
    mine = rep_board(engine, filters, Scope.rep(rep), "win_rate")
    assert len(shown) == 1 and shown["Rep"].tolist() == mine.table["name"].tolist()
    assert "You can open only your own profile; here it is." in [i.value for i in at.info]
    assert any(m.value.startswith(f"### {mine.table['name'].iloc[0]}") for m in at.markdown)
    assert all(s.key != "perf_rep" for s in at.selectbox)  # no picker for a rep
    # what the rep exports is what they see: their row only
    _shown, exported = board_frames(mine, metric("win_rate"))
    assert exported["Rep"].tolist() == shown["Rep"].tolist()
    # the team aggregates come from the whole team (more reps than the one row shown)
    caption = next(c.value for c in at.caption if "compared" in c.value)
    assert caption.startswith(f"{mine.reps} reps compared") and mine.reps > 1


def test_a_head_sees_their_team(engine: sa.Engine, filters: Filters) -> None:
    with engine.connect() as conn:
        head, team = conn.execute(sa.text("SELECT head_id, id FROM teams WHERE head_id IS NOT "
                                          "NULL ORDER BY id")).first()  # fmt: skip
        members = {name for (name,) in conn.execute(
            sa.text("SELECT name FROM employees WHERE team_id = :t"), {"t": team})}  # fmt: skip
    at = performance(role="head", employee=head, query={"profile": "999999"})
    shown = board_table(at)
    shown_names = {re.sub(r" \(#\d+\)$", "", name) for name in shown["Rep"]}
    assert shown_names <= members and len(shown) > 1
    assert "The link names a rep you cannot see; pick one below." in [i.value for i in at.info]


def test_the_page_in_russian(engine: sa.Engine, filters: Filters) -> None:
    at = performance(query={"lang": "ru"})
    assert at.title[0].value == "Эффективность"
    board = rep_board(engine, filters, Scope.everyone(), "win_rate")
    caption = plain(next(c.value for c in at.caption if "в сравнении ·" in c.value))
    rate = f"{100 * board.team_value:.1f}".replace(".", ",")
    assert f"команда {rate}\u00a0%" in caption
    shown = board_table(at)
    assert list(shown.columns[:6]) == ["Место", "Диапазон мест (90\u00a0%)", "Менеджер",
                                       "Команда", "Закрытые сделки", "Доля выигранных"]  # fmt: skip
    assert [t.label for t in at.tabs] == ["Рейтинг", "Профиль менеджера", "Команды и планы продаж"]


def test_the_weak_spot_in_one_sentence() -> None:
    spot = pd.Series({"stage": "Proposal", "rep_rate": 0.48, "team_rate": 0.7125, "entered": 25,
                      "confidence": 0.99962, "significant": True})  # fmt: skip
    assert weak_spot_sentence(spot) == (
        "Loses deals at **Proposal**: 48% go on vs 71% for the rest of the team (25 deals "
        "decided there; 99.9% sure)."
    )
    with use_language("ru"):
        assert weak_spot_sentence(spot.replace({0.99962: 0.951})) == (
            "Теряет сделки на этапе **Proposal**: дальше проходят 48\u00a0% против 71\u00a0% у "
            "остальной команды (решённых на этапе сделок: 25; уверенность 95\u00a0%)."
        )
    assert weak_spot_sentence(spot.replace({True: False})) is None
    assert weak_spot_sentence(None) is None


def test_the_profile_shows_the_reps_incentive_score(
    databases: Databases, filters: Filters, staff: pd.DataFrame
) -> None:
    """The card's score is the Incentives page's: the rep's team plan overlapping the period."""
    rep = int(staff["id"].iloc[1])
    scope = Scope.rep(rep)
    at = performance(role="rep", employee=rep)
    plans = list_plans(databases, scope, (filters.start, filters.end))
    assert len(plans) == 1  # the demo: one plan per team
    stored = load_plan(databases, scope, str(plans["plan_key"].iloc[0]))
    summary = incentive_report(databases.crm, scope, stored, TODAY).rep_summary()
    score = float(summary.loc[summary["rep_id"] == rep, "score"].iloc[0])
    card = next(m for m in at.metric if m.label == "Incentive score")
    assert card.value == f"{100 * score:.1f}%"
    assert any(c.value.startswith(f"{plans['name'].iloc[0]} · bonus") for c in at.caption)
