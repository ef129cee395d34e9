"""The Forecast page through ``AppTest`` on a fresh S demo database: its cards against the
report (weighted by the replayed quarters), the forecasts it keeps in the app database (the
replayed quarters make a history on first view), a rep's own forecast, the breakdown by team,
region and (for a head) rep against the quotas, and Russian."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from analytics.forecast_combination import track_record
from appdb.databases import Databases
from appdb.forecasts import forecast_history
from crm_data.filters import Filters, Scope
from i18n import use_language
from reports.forecast import (
    ForecastReport,
    forecast_report,
    quarters_to_replay,
    rep_outlook,
    replay_quarter,
    with_weight,
)
from tests.support.apptest import TODAY, app_database_fixtures, metric, page_in
from tests.support.visible_text import data_words, untranslated, visible_texts
from ui.format import format_value
from ui.url_filters import Selection, build_filters

PAGE = "pages/forecast.py"
url, engine, databases = app_database_fixtures("forecast_page")


@pytest.fixture(scope="module")
def filters() -> Filters:
    """The filters of a link without parameters (the default period)."""
    return build_filters(Selection(), TODAY)[0]


def as_shown(
    engine: sa.Engine, filters: Filters, scope: Scope
) -> tuple[ForecastReport, pd.DataFrame]:
    """The report weighted as the page weights it, and the track record."""
    report = forecast_report(engine, filters, scope)
    days = quarters_to_replay(report)
    assert days and all(day < report.as_of for day in days)
    replays = [replay_quarter(engine, filters, scope, d) for d in days]
    record, weight = track_record(pd.DataFrame(replays))
    return with_weight(report, weight), record


@pytest.fixture(scope="module")
def shown(engine: sa.Engine, filters: Filters) -> tuple[ForecastReport, pd.DataFrame]:
    return as_shown(engine, filters, Scope.everyone())


def cards(report: ForecastReport, record: pd.DataFrame) -> dict[str, str]:
    q, currency = report.quarter, report.currency
    combined = record.loc[record["method"] == "combined", "hit"].mean()
    return {
        "Won so far": format_value(q.won_so_far, "money", currency),
        "Forecast for the quarter": format_value(q.forecast, "money", currency),
        "Plan": format_value(q.plan, "money", currency),
        "Gap to plan": format_value(q.gap, "money", currency),
        "Track record": format_value(float(combined), "ratio"),
    }


def test_the_page_shows_the_forecast(
    shown: tuple[ForecastReport, pd.DataFrame], databases: Databases
) -> None:
    report, record = shown
    at = page_in("en", PAGE)
    assert at.title[0].value == "Forecast"
    for label, value in cards(report, record).items():
        assert metric(at, label) == value, label
    assert at.main.subheader[0].value.endswith(": forecast vs plan")
    assert len(record) == 3 * len(record["quarter"].unique()) >= 3 * 4
    # the quarter's forecast and the replayed ones are kept: a history from the first view
    kept = forecast_history(databases.app, ["company"])
    now = kept.loc[kept["made_on"] == pd.Timestamp(report.as_of)]
    assert now["value"].tolist() == pytest.approx([report.quarter.forecast])
    replayed = kept.loc[kept["made_on"] < pd.Timestamp(report.as_of)]
    assert len(replayed) == len(record)
    assert any("judged now that their quarter is over" in m.value for m in at.markdown)


def test_a_rep_sees_their_own_forecast(
    engine: sa.Engine, filters: Filters, databases: Databases
) -> None:
    with engine.connect() as conn:
        rep = int(conn.execute(sa.text(
            "SELECT owner_id FROM deals WHERE status = 'won' GROUP BY owner_id "
            "ORDER BY count(*) DESC, owner_id LIMIT 1")).scalar_one())  # fmt: skip
    report, record = as_shown(engine, filters, Scope.rep(rep))
    at = page_in("en", PAGE, role="rep", employee=rep)
    for label, value in cards(report, record).items():
        assert metric(at, label) == value, label
    assert not forecast_history(databases.app, [f"rep:{rep}"]).empty


def test_the_page_in_russian(engine: sa.Engine, shown: tuple[ForecastReport, pd.DataFrame]) -> None:
    report, _record = shown
    at = page_in("ru", PAGE)
    assert at.title[0].value == "Прогноз"
    with use_language("ru"):
        expected = format_value(report.quarter.forecast, "money", report.currency)
    assert metric(at, "Прогноз на квартал") == expected
    assert not untranslated(visible_texts(at), data_words(engine))


def test_the_overview_shows_the_same_quarter(shown: tuple[ForecastReport, pd.DataFrame]) -> None:
    report, _record = shown
    page_in("en", PAGE)  # the forecast page keeps the replayed quarters the weight comes from
    at = page_in("en", "pages/overview.py")
    q, currency = report.quarter, report.currency
    expected = (
        f"Won so far {format_value(q.won_so_far, 'money', currency)} · forecast "
        f"{format_value(q.forecast, 'money', currency)}"
    )
    assert any(c.value.startswith(expected) for c in at.caption), [c.value for c in at.caption]
    assert any(p.text == f"Forecast: {format_value(q.forecast / q.plan, 'ratio')} of the plan"
               for p in at.get("progress"))  # fmt: skip


def segment_table(at: AppTest, first: str) -> pd.DataFrame:
    """The page's one table whose first column is ``first`` and that has a plan."""
    found = [d.value for d in at.dataframe
             if list(d.value.columns)[:1] == [first] and "Plan" in d.value.columns]  # fmt: skip
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def test_a_company_viewer_sees_each_team_and_each_region(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        teams = conn.execute(sa.text("SELECT count(*) FROM teams")).scalar_one()
        regions = conn.execute(sa.text("SELECT count(DISTINCT region) FROM accounts "
                                       "WHERE region IS NOT NULL")).scalar_one()  # fmt: skip
    at = page_in("en", PAGE)  # no breakdown until one is picked: each takes seconds at L
    assert at.segmented_control(key="fc_segment").value is None
    assert not [d for d in at.dataframe if list(d.value.columns)[:1] == ["Team"]]
    at = page_in("en", PAGE, query={"segment": "team"})
    assert len(segment_table(at, "Team")) == teams > 1
    at = page_in("en", PAGE, query={"segment": "region"})
    by_region = segment_table(at, "Region")
    assert len(by_region) == regions > 1
    assert by_region["Plan"].isna().all()  # quotas belong to reps, not to regions


def test_a_head_sees_each_rep_against_their_quota(engine: sa.Engine, filters: Filters) -> None:
    with engine.connect() as conn:
        team, head = conn.execute(sa.text(
            "SELECT id, head_id FROM teams WHERE head_id IS NOT NULL ORDER BY id LIMIT 1"
        )).one()  # fmt: skip
    scope = Scope.head(int(team), int(head))
    expected = rep_outlook(engine, filters, scope)
    at = page_in("en", PAGE, role="head", employee=int(head))
    table = segment_table(at, "Rep")
    assert table["Rep"].tolist() == expected["name"].tolist()
    assert table["Won so far"].tolist() == pytest.approx(expected["won_so_far"].tolist())
    assert table["Plan"].tolist() == pytest.approx(expected["plan"].tolist(), nan_ok=True)
    # the head's own quarter card is the team's: the reps' quotas together
    report, _record = as_shown(engine, filters, scope)
    assert report.quarter.plan == pytest.approx(expected["plan"].sum())
