"""Sanity of the benchmark baseline ``bench.naive_funnel`` against the SQL query layer.

On the XS demo the pandas-from-raw-tables report must agree with ``crm_data.queries``: reached
counts with ``stage_high_water_marks`` aggregated the high-water way, win rate and lost reasons
with ``deals_closed``, open deals with ``stuck_deal_candidates``, visits with ``stage_visits``,
pipeline amounts with ``pipeline_snapshots``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bench.naive_funnel import naive_funnel
from crm_data.demo import seed_demo
from crm_data.filters import Filters, Scope
from crm_data.queries import (
    deals_closed,
    pipeline_snapshots,
    stage_high_water_marks,
    stage_visits,
    stuck_deal_candidates,
)
from tests.support.databases import fresh_engine

EVERYONE = Scope.everyone()


@pytest.fixture(scope="module", params=("duckdb", "sqlite"))
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    folder: Path = tmp_path_factory.mktemp(f"naive_{request.param}")
    with fresh_engine(request.param, folder) as engine:
        seed_demo(engine, size="XS", seed=7, end=date(2026, 6, 30))
        yield engine


def filters_for(engine: sa.Engine, case: str) -> Filters:
    if case == "year":
        return Filters(date(2025, 7, 1), date(2026, 6, 30))
    with engine.connect() as conn:
        sql = "SELECT MIN(team_id) FROM employees WHERE role = 'rep'"
        team_id = conn.execute(sa.text(sql)).scalar_one()
        sql = (
            "SELECT product_line FROM deals GROUP BY product_line "
            "ORDER BY COUNT(*) DESC, product_line LIMIT 1"
        )
        product_line = conn.execute(sa.text(sql)).scalar_one()
    return Filters(
        date(2025, 1, 1),
        date(2026, 1, 1),
        teams=(team_id,),
        product_lines=(product_line,),
        as_of=date(2025, 11, 15),
    )


@pytest.mark.parametrize("case", ["year", "team_line_as_of"])
def test_naive_funnel_agrees_with_queries(engine: sa.Engine, case: str) -> None:
    f = filters_for(engine, case)
    report = naive_funnel(engine, f)

    # reached: high-water mark of stage_high_water_marks, won deals reach every stage
    marks = stage_high_water_marks(engine, f, EVERYONE)
    assert report["cohort"] == len(marks) > 0
    reached = report["reached"]
    open_steps = reached[reached["stage"] != "Won"]
    assert len(open_steps) >= 3
    for step in open_steps.itertuples():
        hit = (marks["max_open_position"] >= step.position).fillna(False) | marks["reached_won"]
        assert step.reached == hit.sum(), step.stage
        assert step.still_open == (hit & (marks["status"] == "open")).sum(), step.stage
    won_step = reached[reached["stage"] == "Won"].iloc[0]
    assert won_step["reached"] == marks["reached_won"].sum()
    assert reached["reached"].is_monotonic_decreasing

    # win rate and lost reasons: deals closed in the period
    closed = deals_closed(engine, f, EVERYONE)
    rate = report["win_rate"]
    assert (rate["won"], rate["lost"]) == (
        (closed["status"] == "won").sum(),
        (closed["status"] == "lost").sum(),
    )
    assert rate["won_amount"] == pytest.approx(
        closed.loc[closed["status"] == "won", "amount"].sum()
    )
    assert rate["mean_cycle_days"] == pytest.approx(
        closed.loc[closed["status"] == "won", "cycle_days"].mean()
    )
    lost = closed[closed["status"] == "lost"]
    by_reason = lost["lost_reason"].fillna("No reason given").value_counts()
    assert report["lost_reasons"].set_index("lost_reason")["deals"].to_dict() == by_reason.to_dict()

    # time in stage: the cohort's visits to open stages
    visits = stage_visits(engine, f, EVERYONE)
    tis = report["time_in_stage"].set_index("stage_id")
    per_stage = visits.groupby("stage_id").agg(
        visits=("deal_id", "size"), censored=("censored", "sum")
    )
    assert tis.loc[per_stage.index, ["visits", "censored"]].to_dict() == per_stage.to_dict()

    # open deals at as_of
    candidates = stuck_deal_candidates(engine, f, EVERYONE)
    open_deals = report["open_deals"]
    assert open_deals["deal_id"].tolist() == candidates["deal_id"].tolist()
    assert open_deals["stage_id"].tolist() == candidates["stage_id"].tolist()
    np.testing.assert_allclose(open_deals["days_in_stage"], candidates["days_in_stage"], atol=1e-6)
    pd.testing.assert_series_equal(
        open_deals["last_activity_at"].astype("datetime64[us]"),
        candidates["last_activity_at"],
        check_names=False,
    )
    # the demo's stages all have rot_days
    assert (
        open_deals["stuck"].tolist()
        == (candidates["days_in_stage"] > candidates["rot_days"].astype(float)).tolist()
    )

    # pipeline at the start and the end of the period (a snapshot after as_of is at as_of)
    snaps = pipeline_snapshots(engine, f, EVERYONE, [f.start, f.end])
    start = snaps[snaps["snapshot_date"] == pd.Timestamp(f.start)]
    end = snaps[snaps["snapshot_date"] == pd.Timestamp(f.until)]
    pipe = report["pipeline"]
    assert (pipe["start_deals"], pipe["end_deals"]) == (len(start), len(end))
    assert pipe["start_amount"] == pytest.approx(start["amount"].sum())
    assert pipe["end_amount"] == pytest.approx(end["amount"].sum())
    assert report["quota"] > 0
