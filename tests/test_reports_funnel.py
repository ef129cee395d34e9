"""The Funnel report against an independent pandas version (``bench.naive_funnel``: whole raw
tables read into pandas, no shared code with the SQL) and plain SQL, on a fresh S demo database:
reached counts, win rate, Kaplan–Meier times, stuck deals (with and without ``rot_days``),
pipeline change, lost reasons and scope."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.funnel import NO_REASON
from bench.naive_funnel import naive_funnel
from crm_data.demo import seed_demo
from crm_data.filters import Filters, Scope
from reports.funnel import coverage_quarter, funnel_by_group, funnel_report, pipeline_change

# twelve months up to the demo's end: the velocity window and the KM-limit window equal the period
FILTERS = Filters(date(2025, 6, 30), date(2026, 6, 30))
BIN = 0.1  # stage durations are binned down to 0.1 day in SQL
# Binning moves every visit of a bin (finished or censored) to the bin's lower edge, which also
# changes who is at risk inside the bin: a quantile is never a bin early, and later only where a
# censored visit shares a bin with a longer ended one (analytics.survival, "Binned durations");
# over the S demo's hundreds of visits per stage that stays within two bins.
KM_TOLERANCE = 2 * BIN + 1e-9


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("funnel") / "s.duckdb"
    engine = sa.create_engine(f"duckdb:///{path}")
    seed_demo(engine, size="S", seed=11, end=date(2026, 6, 30))
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def engine(db_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"duckdb:///{db_path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def naive(engine: sa.Engine) -> dict:
    return naive_funnel(engine, FILTERS)


@pytest.fixture(scope="module")
def report(engine: sa.Engine):
    return funnel_report(engine, FILTERS, Scope.everyone())


def sql(engine: sa.Engine, text: str, **params: object) -> float:
    with engine.connect() as conn:
        return float(conn.execute(sa.text(text), params).scalar_one() or 0)


def test_reached_counts_equal_the_pandas_version(report, naive: dict) -> None:
    mine = report.funnel[["stage", "reached", "still_open"]].reset_index(drop=True)
    theirs = naive["reached"][["stage", "reached", "still_open"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    assert report.funnel["reached_amount"].to_numpy() == pytest.approx(
        naive["reached"]["reached_amount"].to_numpy()
    )
    assert report.cohort == naive["cohort"] > 1000
    # conversions follow from the counts
    counts = report.funnel["reached"].to_numpy(float)
    assert report.funnel["next_conversion"].iloc[:-1].to_numpy() == pytest.approx(
        counts[1:] / counts[:-1]
    )
    assert report.funnel["cumulative_conversion"].to_numpy() == pytest.approx(counts / counts[0])


def test_cohort_and_win_rate_against_plain_sql(engine: sa.Engine, report, naive: dict) -> None:
    params = {"s": FILTERS.start, "e": FILTERS.end}
    created = sql(engine, "SELECT count(*) FROM deals WHERE created_at >= :s AND created_at < :e",
                  **params)  # fmt: skip
    closed = "closed_at >= :s AND closed_at < :e"
    won = sql(engine, f"SELECT count(*) FROM deals WHERE status = 'won' AND {closed}", **params)
    lost = sql(engine, f"SELECT count(*) FROM deals WHERE status = 'lost' AND {closed}", **params)
    assert report.kpi("new_deals").value == created == report.cohort
    assert report.kpi("win_rate").value == pytest.approx(won / (won + lost))
    assert report.kpi("win_rate").value == pytest.approx(naive["win_rate"]["win_rate"])
    value = naive["win_rate"]["won_amount"] / naive["win_rate"]["closed_amount"]
    assert report.kpi("value_win_rate").value == pytest.approx(value)
    # velocity: open deals at as_of × win rate × average won deal / mean cycle (trailing 12 months
    # = the period here)
    v = report.velocity
    assert v.win_rate == pytest.approx(won / (won + lost))
    assert v.average_won_amount == pytest.approx(naive["win_rate"]["won_amount"] / won)
    assert v.average_cycle_days == pytest.approx(naive["win_rate"]["mean_cycle_days"])
    assert v.open_deals == len(naive["open_deals"])
    expected = v.open_deals * v.win_rate * v.average_won_amount / v.average_cycle_days
    assert v.per_day == pytest.approx(expected)


def test_cohort_won_so_far_is_the_same_in_the_strict_funnel(engine: sa.Engine, report) -> None:
    # METRICS.md "Cohort basis": the share of the period's new deals won by its end, in either
    # funnel; the strict funnel's Won step (won through every stage in order) is fewer deals
    strict = funnel_report(engine, FILTERS, Scope.everyone(), strict=True)
    cohort = "created_at >= :s AND created_at < :e"
    for filters, which in ((FILTERS, "value"), (FILTERS.comparison(), "previous")):
        params = {"s": filters.start, "e": filters.end}
        created = sql(engine, f"SELECT count(*) FROM deals WHERE {cohort}", **params)
        won = sql(engine, f"SELECT count(*) FROM deals WHERE {cohort} AND status = 'won' "
                          "AND closed_at < :e", **params)  # fmt: skip
        for mode in (report, strict):
            assert getattr(mode.kpi("cohort_win_rate"), which) == pytest.approx(won / created)
    assert strict.funnel["reached"].iloc[-1] < report.funnel["reached"].iloc[-1]


def test_time_in_stage_matches_kaplan_meier_on_exact_durations(report, naive: dict) -> None:
    mine = report.time_in_stage.set_index("stage")
    theirs = naive["time_in_stage"].set_index("stage")
    assert (mine["visits"] == theirs["visits"]).all()
    assert (mine["censored"] == theirs["censored"]).all()
    assert mine["censored"].sum() > 0  # open deals' visits are in, censored at as_of
    for column in ("median", "p90"):
        gap = (theirs[column] - mine[column]).abs()
        assert (gap <= KM_TOLERANCE).all(), (column, gap)


def test_stuck_deals_with_rot_days(engine: sa.Engine, report, naive: dict) -> None:
    theirs = naive["open_deals"]
    assert report.stuck_count == int(theirs["stuck"].sum()) > 0
    largest = theirs[theirs["stuck"]].sort_values(["amount", "deal_id"], ascending=[False, True])
    assert list(report.stuck["deal_id"]) == list(largest["deal_id"].head(len(report.stuck)))
    assert report.kpi("stuck_deals").value == report.stuck_count


def test_stuck_deals_fall_back_to_the_stage_p90(db_path: Path, tmp_path: Path) -> None:
    """Without rot_days on a stage, its limit is its KM p90 of time in stage."""
    copy = tmp_path / "no_rot.duckdb"
    shutil.copy(db_path, copy)
    engine = sa.create_engine(f"duckdb:///{copy}")
    try:
        with engine.begin() as conn:
            stage_id, name = conn.execute(sa.text(
                "SELECT id, name FROM stages WHERE NOT is_won AND NOT is_lost ORDER BY position "
                "LIMIT 1 OFFSET 1"
            )).one()  # fmt: skip
            conn.execute(
                sa.text("UPDATE stages SET rot_days = NULL WHERE id = :i"), {"i": stage_id}
            )
        report = funnel_report(engine, FILTERS, Scope.everyone())
        naive = naive_funnel(engine, FILTERS)
    finally:
        engine.dispose()
    p90 = report.time_in_stage.set_index("stage_id").loc[stage_id, "p90"]
    exact = naive["time_in_stage"].set_index("stage_id").loc[stage_id, "p90"]
    assert abs(exact - p90) <= KM_TOLERANCE
    deals = naive["open_deals"]
    limit = deals["limit_days"].where(deals["stage_id"] != stage_id, p90)
    expected = deals[deals["days_in_stage"] > limit]
    assert report.stuck_count == len(expected)
    in_stage = expected[expected["stage_id"] == stage_id]
    assert len(in_stage) > 0, "the fallback flags deals of that stage"
    reasons = report.stuck.set_index("deal_id").loc[in_stage["deal_id"], "reasons"]
    assert reasons.str.contains(f"in {name} \\(limit {round(p90, 1):g}\\)").all()


def test_pipeline_change_reconciles_with_the_snapshots(engine: sa.Engine, naive: dict) -> None:
    change = pipeline_change(engine, FILTERS, Scope.everyone(), FILTERS.start, FILTERS.end)
    steps = change.waterfall.set_index("step")
    assert steps.loc["Pipeline at start", "amount"] == pytest.approx(
        naive["pipeline"]["start_amount"]
    )
    assert steps.loc["Pipeline at end", "amount"] == pytest.approx(naive["pipeline"]["end_amount"])
    assert steps.loc["Pipeline at start", "deals"] == naive["pipeline"]["start_deals"]
    relative = change.waterfall[change.waterfall["measure"] == "relative"]["amount"].sum()
    assert steps.loc["Pipeline at start", "amount"] + relative == pytest.approx(
        steps.loc["Pipeline at end", "amount"]
    )


def test_lost_reasons_equal_the_pandas_version(report, naive: dict) -> None:
    mine = report.lost_by_stage.groupby("lost_reason")["deals"].sum().sort_index()
    theirs = naive["lost_reasons"].set_index("lost_reason")["deals"].sort_index()
    assert mine.to_dict() == theirs.to_dict()
    assert NO_REASON in mine.index  # the demo plants lost deals without a reason
    by_rep = report.lost_by_rep
    assert by_rep["deals"].sum() == mine.sum()
    assert ((by_rep["no_reason_share"] >= 0) & (by_rep["no_reason_share"] <= 1)).all()
    # one row per owner: the S demo's namesakes are told apart by their id
    assert by_rep["owner"].is_unique
    assert by_rep["owner"].str.endswith(")").sum() >= 2


def test_a_rep_sees_only_own_deals(engine: sa.Engine) -> None:
    rep = int(sql(engine, "SELECT min(owner_id) FROM deals WHERE status = 'open'"))
    mine = funnel_report(engine, FILTERS, Scope.rep(rep))
    created = sql(engine, "SELECT count(*) FROM deals WHERE created_at >= :s AND created_at < :e "
                          "AND owner_id = :r", s=FILTERS.start, e=FILTERS.end, r=rep)  # fmt: skip
    assert mine.cohort == created > 0
    if len(mine.stuck):
        owners = {
            int(sql(engine, "SELECT owner_id FROM deals WHERE id = :i", i=int(i)))
            for i in mine.stuck["deal_id"]
        }
        assert owners == {rep}
    everyone = funnel_report(engine, FILTERS, Scope.everyone())
    assert mine.cohort < everyone.cohort


def test_group_funnel_adds_up_to_the_whole(engine: sa.Engine, report, naive: dict) -> None:
    split = funnel_by_group(engine, FILTERS, Scope.everyone(), "team")
    summed = split.funnel.groupby("position", sort=True)["reached"].sum().to_numpy()
    assert list(summed) == list(report.funnel["reached"])
    closed = naive["win_rate"]["won"] + naive["win_rate"]["lost"]
    assert split.win_rates["closed"].sum() == closed
    assert split.win_rates["won"].sum() == naive["win_rate"]["won"]
    sizes = split.funnel.groupby("group")["cohort"].first()
    assert split.groups == list(sizes.sort_values(ascending=False).index)
    # velocity per team: the open deals add up; each team's factors come from its closed deals
    velocity = split.velocity.set_index("group")
    assert velocity["open_deals"].sum() == report.velocity.open_deals
    rates = split.win_rates.set_index("group")
    team = rates.index[0]
    expected = (
        velocity.loc[team, "open_deals"]
        * rates.loc[team, "win_rate"]
        * rates.loc[team, "average_won_amount"]
        / velocity.loc[team, "average_cycle_days"]
    )
    assert velocity.loc[team, "per_day"] == pytest.approx(expected)
    summary = split.summary(split.groups[:2])
    assert summary["group"].tolist() == split.groups[:2]
    assert summary["per_day"].tolist() == velocity.loc[split.groups[:2], "per_day"].tolist()


def test_coverage_uses_the_quarter_of_the_last_day(engine: sa.Engine, report) -> None:
    start, end = coverage_quarter(FILTERS.end)
    assert (start, end) == (date(2026, 4, 1), date(2026, 7, 1)) == report.coverage_period
    quota = sql(engine, "SELECT sum(revenue_target) FROM quotas WHERE period_start >= :s AND "
                        "period_end <= :e", s=start, e=end)  # fmt: skip
    won = sql(engine, "SELECT sum(amount) FROM deals WHERE status = 'won' AND closed_at >= :s "
                      "AND closed_at < :e", s=start, e=FILTERS.end)  # fmt: skip
    assert report.coverage.quota == pytest.approx(quota) and quota > 0
    assert report.coverage.won_so_far == pytest.approx(won)
    expected = sql(engine, """
        SELECT sum((SELECT h.amount FROM deal_stage_history h WHERE h.deal_id = d.id
                    AND h.entered_at < :as_of ORDER BY h.entered_at DESC, h.id DESC LIMIT 1))
        FROM deals d
        WHERE d.created_at < :as_of AND (d.closed_at IS NULL OR d.closed_at >= :as_of)
          AND d.expected_close_at >= :s AND d.expected_close_at < :e""",
        as_of=FILTERS.end, s=start, e=end)  # fmt: skip
    assert report.coverage.expected_amount == pytest.approx(expected) and expected > 0
    remaining = quota - won
    if remaining > 0:
        assert report.coverage.ratio == pytest.approx(report.coverage.expected_amount / remaining)
    else:
        assert math.isnan(report.coverage.ratio)
