"""The Forecast page's report (``reports.forecast``) on an S demo database: the quarter's won
revenue, plan and combination checked against the database, the chosen model never losing to
seasonal naive, a replayed quarter reading nothing after its day, and a rep's forecast made of
their own deals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.queries.funnel_stats import quota_total
from reports.forecast import (
    ForecastReport,
    forecast_filters,
    forecast_report,
    quarter_of,
    rep_outlook,
    replay_dates,
    replay_quarter,
    segment_outlook,
    with_weight,
)
from tests.support.databases import DEMO_END, demo_fixture

engine = demo_fixture("forecast_report")
#: Mid-quarter: the quarter has complete months, a running month and a month to come.
AS_OF = date(2026, 5, 20)
FILTERS = Filters(date(2026, 4, 1), date(2026, 7, 1), as_of=AS_OF)


@pytest.fixture(scope="module")
def report(engine: sa.Engine) -> ForecastReport:
    return forecast_report(engine, FILTERS, Scope.everyone())


def won_between(engine: sa.Engine, start: date, end: date, owner: int | None = None) -> float:
    """Σ of the amounts of the deals won in ``[start, end)``, straight from the table."""
    sql = ("SELECT coalesce(sum(amount), 0) FROM deals WHERE status = 'won' "
           "AND closed_at >= :start AND closed_at < :end")  # fmt: skip
    params: dict[str, object] = {"start": datetime(start.year, start.month, start.day),
                                 "end": datetime(end.year, end.month, end.day)}  # fmt: skip
    if owner is not None:
        sql += " AND owner_id = :owner"
        params["owner"] = owner
    with engine.connect() as conn:
        return float(conn.execute(sa.text(sql), params).scalar_one())


def test_the_quarter_against_the_database(engine: sa.Engine, report: ForecastReport) -> None:
    q = report.quarter
    assert (q.start, q.end) == (date(2026, 4, 1), date(2026, 7, 1)) == quarter_of(AS_OF)
    assert q.won_so_far == pytest.approx(won_between(engine, q.start, AS_OF))
    assert q.plan == quota_total(engine, FILTERS, Scope.everyone(), q.start, q.end) > 0
    assert q.forecast == pytest.approx(q.won_so_far + q.rest)
    assert q.rest_low <= q.rest <= q.rest_high
    assert q.gap == pytest.approx(q.plan - q.forecast)
    expected_need = max(q.gap, 0.0) / q.win_rate
    assert q.pipeline_needed == pytest.approx(expected_need)
    assert 0.2 < q.win_rate < 0.8


def test_the_period_does_not_change_the_forecast(engine: sa.Engine, report: ForecastReport) -> None:
    # the page forecasts forecast_filters(...): views whose periods end the same day share it
    basis = forecast_filters(FILTERS)
    assert (basis.start, basis.end, basis.as_of_ts) == (date(2026, 5, 19), AS_OF,
                                                       datetime(2026, 5, 20))  # fmt: skip
    again = forecast_report(engine, basis, Scope.everyone())
    pd.testing.assert_frame_equal(again.months, report.months)
    assert again.quarter == report.quarter and again.time_series.model == report.time_series.model


def test_the_months_combine_inside_the_quarter_only(report: ForecastReport) -> None:
    months = report.months
    assert months["month"].tolist()[:2] == [pd.Timestamp(2026, 5, 1), pd.Timestamp(2026, 6, 1)]
    assert len(months) == 6
    # May is running: what is won in it is apart, the time series forecasts the rest
    assert months["won_so_far"].iloc[0] > 0 and (months["won_so_far"].iloc[1:] == 0).all()
    ts_may = report.time_series.mean[0] - months["won_so_far"].iloc[0]
    assert months["time_series"].iloc[0] == pytest.approx(max(ts_may, 0.0))
    w = report.weight
    inside, after = months.iloc[:2], months.iloc[2:]
    assert inside["combined"].to_numpy() == pytest.approx(
        (w * inside["time_series"] + (1 - w) * inside["pipeline"]).to_numpy()
    )
    assert after["combined"].to_numpy() == pytest.approx(after["time_series"].to_numpy())
    assert report.quarter.rest == pytest.approx(inside["combined"].sum())
    heavier = with_weight(report, 0.9)
    assert heavier.quarter.rest == pytest.approx(
        (0.9 * inside["time_series"] + 0.1 * inside["pipeline"]).sum()
    )
    assert heavier.quarter.won_so_far == report.quarter.won_so_far


def test_the_chosen_model_never_loses_to_seasonal_naive(report: ForecastReport) -> None:
    assert report.backtest is not None and report.backtest.origins
    table = report.backtest.table.set_index("model")
    chosen = report.time_series.model
    assert chosen in table.index
    assert table.loc[chosen, "mase"] <= table.loc["seasonal_naive", "mase"]
    assert np.isfinite(report.time_series.mean).all() and (report.time_series.mean >= 0).all()


def test_the_pipeline_is_the_open_deals(engine: sa.Engine, report: ForecastReport) -> None:
    with engine.connect() as conn:
        open_now = int(conn.execute(sa.text(
            "SELECT count(*) FROM deals WHERE created_at < :t AND (closed_at IS NULL "
            "OR closed_at >= :t)"), {"t": datetime(2026, 5, 20)}).scalar_one())  # fmt: skip
    deals = report.pipeline.deals
    assert len(deals) == open_now
    assert ((deals["p_win"] > 0) & (deals["p_win"] < 1)).all()
    total = report.pipeline.total["expected"].iloc[0]
    assert total == pytest.approx(float(report.pipeline.by_month["expected"].sum()))


def test_a_replayed_quarter_reads_nothing_after_its_day(engine: sa.Engine) -> None:
    made_on = date(2025, 11, 15)
    replay = replay_quarter(engine, FILTERS, Scope.everyone(), made_on)
    then = forecast_report(engine, Filters(date(2025, 10, 1), date(2026, 1, 1), as_of=made_on),
                           Scope.everyone())  # fmt: skip
    assert replay["won_so_far"] == pytest.approx(then.quarter.won_so_far)
    assert replay["won_so_far"] == pytest.approx(won_between(engine, date(2025, 10, 1), made_on))
    assert replay["actual"] == pytest.approx(won_between(engine, date(2025, 10, 1),
                                                         date(2026, 1, 1)))  # fmt: skip
    assert replay["quarter"] == pd.Timestamp(2025, 10, 1)
    assert replay_dates(AS_OF, date(2023, 7, 1), quarters=4) == [
        date(2025, 5, 16), date(2025, 8, 15), date(2025, 11, 15), date(2026, 2, 15)
    ]  # fmt: skip


def test_a_reps_forecast_is_made_of_their_own_deals(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        rep = int(conn.execute(sa.text(
            "SELECT owner_id FROM deals WHERE status = 'won' GROUP BY owner_id "
            "ORDER BY count(*) DESC, owner_id LIMIT 1")).scalar_one())  # fmt: skip
        owners = conn.execute(sa.text("SELECT id, owner_id FROM deals")).all()
    mine = forecast_report(engine, FILTERS, Scope.rep(rep))
    owner_of = dict(owners)
    assert {owner_of[int(d)] for d in mine.pipeline.deals["deal_id"]} == {rep}
    assert mine.quarter.won_so_far == pytest.approx(
        won_between(engine, date(2026, 4, 1), AS_OF, owner=rep)
    )
    assert mine.quarter.plan < forecast_report(engine, FILTERS, Scope.everyone()).quarter.plan
    assert DEMO_END > AS_OF


def test_each_team_against_its_own_quotas(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        teams = conn.execute(sa.text("SELECT id, name FROM teams ORDER BY id")).all()
    everyone = Scope.everyone()
    reports = {
        str(name): forecast_report(engine, replace(FILTERS, teams=(int(team),)), everyone)
        for team, name in teams
    }
    table = segment_outlook(reports, 0.25)
    assert table["team"].tolist() == [str(name) for _team, name in teams]
    for (team, _name), row in zip(teams, table.to_dict("records"), strict=True):
        narrowed = replace(FILTERS, teams=(int(team),))
        assert row["plan"] == quota_total(engine, narrowed, Scope.everyone(), *quarter_of(AS_OF))
        assert row["won_so_far"] == pytest.approx(
            sum(
                won_between(engine, date(2026, 4, 1), AS_OF, owner=rep)
                for rep in members(engine, team)
            )
        )
        assert row["gap_to_plan"] == pytest.approx(row["plan"] - row["forecast"])
        assert row["forecast_share"] == pytest.approx(row["forecast"] / row["plan"])
        assert row["low"] <= row["forecast"] <= row["high"]
    # the company's plan is the teams' plans together
    assert table["plan"].sum() == pytest.approx(
        forecast_report(engine, FILTERS, Scope.everyone()).quarter.plan
    )


def quota_of(engine: sa.Engine, rep: int, start: date, end: date) -> float:
    """Σ of the rep's quota targets inside ``[start, end)``, straight from the table."""
    sql = ("SELECT coalesce(sum(revenue_target), 0) FROM quotas WHERE employee_id = :rep "
           "AND period_start >= :start AND period_end <= :end")  # fmt: skip
    with engine.connect() as conn:
        return float(conn.execute(sa.text(sql), {"rep": rep, "start": start, "end": end})
                     .scalar_one())  # fmt: skip


def test_each_rep_against_their_quota(engine: sa.Engine, report: ForecastReport) -> None:
    """Won so far and the quota by hand per rep; the reps' pipelines add up to the
    company's pipeline forecast of the quarter's months (the same deals, the same chances)."""
    table = rep_outlook(engine, FILTERS, Scope.everyone())
    start, end = quarter_of(AS_OF)
    assert len(table) >= 10 and table["employee_id"].is_unique
    for row in table.to_dict("records"):
        rep = row["employee_id"]
        assert row["won_so_far"] == pytest.approx(won_between(engine, start, AS_OF, owner=rep))
        quota = quota_of(engine, rep, start, end)
        assert row["plan"] == pytest.approx(quota) if quota else np.isnan(row["plan"])
        assert row["forecast"] == pytest.approx(row["won_so_far"] + row["pipeline"])
        assert row["won_so_far"] <= row["low"] <= row["forecast"] <= row["high"] + 1e-6
        if quota:
            assert row["gap_to_plan"] == pytest.approx(quota - row["forecast"])
    inside = report.pipeline.by_month["month"] < pd.Timestamp(end)
    assert table["pipeline"].sum() == pytest.approx(
        report.pipeline.by_month.loc[inside, "expected"].sum()
    )
    assert table["open_deals"].sum() == len(report.pipeline.deals)
    assert table["plan"].sum() == pytest.approx(report.quarter.plan)
    # the reps furthest below their plan come first
    shares = table["forecast_share"].dropna().to_numpy()
    assert (np.diff(shares) >= 0).all()


def test_a_rep_sees_only_their_own_row(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        rep = int(conn.execute(sa.text(
            "SELECT employee_id FROM quotas GROUP BY employee_id ORDER BY employee_id LIMIT 1"
        )).scalar_one())  # fmt: skip
    mine = forecast_report(engine, FILTERS, Scope.rep(rep))
    table = rep_outlook(engine, FILTERS, Scope.rep(rep))
    assert table["employee_id"].tolist() == [rep]
    assert table["plan"].iloc[0] == pytest.approx(mine.quarter.plan)


def test_product_lines_have_no_plan(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        line, won = conn.execute(sa.text(
            "SELECT product_line, sum(amount) FROM deals WHERE status = 'won' "
            "AND closed_at >= :s AND closed_at < :e GROUP BY product_line "
            "ORDER BY product_line LIMIT 1"),
            {"s": datetime(2026, 4, 1), "e": datetime(2026, 5, 20)},
        ).one()  # fmt: skip
    narrowed = replace(FILTERS, product_lines=(line,))
    table = segment_outlook({line: forecast_report(engine, narrowed, Scope.everyone())}, 0.5,
                            "product_line", with_plan=False)  # fmt: skip
    assert table["product_line"].tolist() == [line]
    assert table["won_so_far"].iloc[0] == pytest.approx(float(won))
    assert table[["plan", "gap_to_plan", "forecast_share"]].isna().all(axis=None)


def members(engine: sa.Engine, team: int) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id FROM employees WHERE team_id = :t"), {"t": team})
        return [int(r[0]) for r in rows]


@pytest.mark.parametrize("as_of", [date(2023, 7, 2), date(2023, 8, 10)])
def test_a_forecast_at_the_start_of_the_history(engine: sa.Engine, as_of: date) -> None:
    """With less than two complete months the time series forecasts nothing (model ``none``)
    and the pipeline stands alone; before any deal was created, nothing at all."""
    start = date(as_of.year, as_of.month, 1)
    report = forecast_report(engine, Filters(start, date(2023, 10, 1), as_of=as_of),
                             Scope.everyone())  # fmt: skip
    assert report.time_series.model == "none" and report.backtest is None
    assert (report.months["time_series"] == 0).all()
    inside = report.months["month"] < pd.Timestamp(2023, 10, 1)
    expected = (1 - report.weight) * report.months.loc[inside, "pipeline"]
    assert report.months.loc[inside, "combined"].to_numpy() == pytest.approx(expected.to_numpy())
    assert report.quarter.won_so_far == pytest.approx(won_between(engine, date(2023, 7, 1), as_of))
