"""Funnel and pipeline analytics (``analytics.funnel``, ``analytics.pipeline_change``,
``analytics.pipeline``) on hand-built frames with the columns and
dtypes of the ``crm_data.queries.funnel_stats`` queries: reached counts (high-water mark and
strict), conversions, % still open, lost at stage, regression, win rates and cycle, time in
stage, lost reasons, pipeline change and waterfall, velocity (Maven), coverage, stage flow.
Every expected value is computed by hand in the comments."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.funnel import (
    BEFORE_STAGES,
    NO_REASON,
    WON_STEP,
    cohort_won,
    lost_reasons,
    reached,
    regression_rate,
    sales_cycle,
    stage_flow,
    stage_limits,
    time_in_stage,
    win_rates,
)
from analytics.pipeline import (
    Coverage,
    Velocity,
    pipeline_coverage,
    sales_velocity,
    velocity_table,
)
from analytics.pipeline_change import pipeline_change, pipeline_moves, pipeline_waterfall

NAN = math.nan
MAVEN = (
    Path(__file__).resolve().parents[2]
    / "shared/datasets/maven_crm_sales_opportunities/sales_pipeline.csv"
)


def frame(rows: list[tuple[object, ...]], dtypes: dict[str, str]) -> pd.DataFrame:
    """A frame of ``rows`` with exactly the columns and dtypes of ``dtypes``."""
    raw = pd.DataFrame(rows, columns=list(dtypes), dtype=object)
    return raw.astype(dtypes)


def same(actual: object, expected: list[float]) -> bool:
    """Element-wise equality where NaN equals NaN."""
    values = list(actual)  # type: ignore[call-overload]
    return len(values) == len(expected) and all(
        (math.isnan(a) and math.isnan(e)) or a == pytest.approx(e)
        for a, e in zip(values, expected, strict=True)
    )


# open stages of the pipeline (funnel_stages); terminal: 50 Won, 60 Lost
STAGES = frame(
    [
        (10, "Lead", 1, 0.1, 7, "Sales"),
        (20, "Qualified", 2, 0.3, None, "Sales"),
        (30, "Proposal", 3, 0.5, 21, "Sales"),
        (40, "Negotiation", 4, 0.8, None, "Sales"),
    ],
    {
        "stage_id": "int64",
        "stage": "str",
        "position": "int64",
        "probability": "float64",
        "rot_days": "Int64",
        "pipeline": "str",
    },
)
STEP_NAMES = ["Lead", "Qualified", "Proposal", "Negotiation", WON_STEP]

# --- reached ---------------------------------------------------------------------------------

FACTS = {
    "group": "str",
    "max_open_position": "Int64",
    "strict_ok_position": "Int64",
    "status": "str",
    "regressed": "bool",
    "lost_stage_position": "Int64",
    "amount": "float64",
}

# One row per deal; history (positions of the open stages, then the terminal) -> facts:
#   max_open_position = highest open position entered (hwm); strict_ok_position = highest k
#   such that positions 1..k were all entered, in order (NA when it did not start at 1).
PER_DEAL = frame(
    [
        # D1  1 -> 2 -> 3 -> 4 -> Won            hwm 4, strict 4, won
        ("A", 4, 4, "won", False, None, 100.0),
        # D2  1 -> 3 -> Won (skips 2)            hwm 3, strict 1, won
        ("A", 3, 1, "won", False, None, 200.0),
        # D3  1 -> 2 -> 3 -> 2 -> Lost           hwm 3, strict 3, regressed, lost at 2
        ("B", 3, 3, "lost", True, 2, 300.0),
        # D4  1 -> 2 (still open)                hwm 2, strict 2
        ("B", 2, 2, "open", False, None, 400.0),
        # D5  2 -> 4 (open; created in 2)        hwm 4, strict NA
        ("A", 4, None, "open", False, None, 500.0),
        # D6  1 -> Lost                          hwm 1, strict 1, lost at 1
        ("B", 1, 1, "lost", False, 1, 600.0),
        # D7  Won at creation                    hwm NA, strict NA, won
        ("A", None, None, "won", False, None, 700.0),
        # D8  1 -> 3 -> 2 -> 3 (open)            hwm 3; first(3) < first(2) -> strict 2; regressed
        ("A", 3, 2, "open", True, None, 800.0),
        # D9  Lost at creation                   hwm NA, strict NA, lost before any open stage
        ("B", None, None, "lost", False, None, 900.0),
    ],
    FACTS,
)


def aggregate(per_deal: pd.DataFrame, keys: list[str], count: str = "deals") -> pd.DataFrame:
    """What the SQL query returns: the per-deal rows grouped, with a count and Σ amount."""
    sums = {"amount": "sum"} if "amount" in per_deal.columns else {}
    grouped = per_deal.assign(**{count: 1}).groupby(keys, dropna=False, sort=False)
    out = grouped.agg({count: "sum", **sums}).reset_index()
    return out.sample(frac=1.0, random_state=3).reset_index(drop=True)  # order must not matter


FACT_KEYS = [
    "group",
    "max_open_position",
    "strict_ok_position",
    "status",
    "regressed",
    "lost_stage_position",
]


def test_reached_high_water_mark_by_hand() -> None:
    funnel = reached(PER_DEAL, STAGES)
    assert list(funnel.columns) == [
        "stage_id",
        "stage",
        "position",
        "reached",
        "reached_amount",
        "still_open",
        "pct_still_open",
        "lost_here",
        "next_conversion",
        "cumulative_conversion",
        "cohort",
    ]
    assert funnel.dtypes.astype(str).tolist() == [
        "Int64",
        "str",
        "int64",
        "int64",
        "float64",
        "int64",
        "float64",
        "int64",
        "float64",
        "float64",
        "int64",
    ]
    assert funnel["stage"].tolist() == STEP_NAMES
    assert funnel["stage_id"].tolist()[:4] == [10, 20, 30, 40]
    assert funnel["stage_id"].isna().tolist() == [False] * 4 + [True]
    assert funnel["position"].tolist() == [1, 2, 3, 4, 5]
    # won deals (D1, D2, D7) reach every step; the others up to their hwm; D9 reaches none.
    # Lead: all but D9 = 8; Qualified: minus D6 = 7; Proposal: minus D4 = 6;
    # Negotiation: D1, D2, D5, D7 = 4; Won: D1, D2, D7 = 3.  D8's back move counts once.
    assert funnel["reached"].tolist() == [8, 7, 6, 4, 3]
    # Lead: 100+200+300+400+500+600+700+800 = 3600; Qualified: - 600; Proposal: - 400;
    # Negotiation: 100+200+500+700; Won: 100+200+700
    assert funnel["reached_amount"].tolist() == [3600.0, 3000.0, 2600.0, 1500.0, 1000.0]
    # open: D4 (hwm 2), D5 (hwm 4), D8 (hwm 3)
    assert funnel["still_open"].tolist() == [3, 3, 2, 1, 0]
    assert same(funnel["pct_still_open"], [3 / 8, 3 / 7, 2 / 6, 1 / 4, 0.0])
    # lost at stage: D6 at 1, D3 at 2 (its last open stage, not its hwm 3); D9 at none
    assert funnel["lost_here"].tolist() == [1, 1, 0, 0, 0]
    assert same(funnel["next_conversion"], [7 / 8, 6 / 7, 4 / 6, 3 / 4, NAN])
    assert same(funnel["cumulative_conversion"], [1.0, 7 / 8, 6 / 8, 4 / 8, 3 / 8])
    assert funnel["cohort"].tolist() == [9] * 5  # D9 included


def test_reached_strict_by_hand() -> None:
    funnel = reached(PER_DEAL, STAGES, strict=True)
    # strict_ok: D1 4 (and won through all stages -> Won), D2 1, D3 3, D4 2, D5 NA, D6 1,
    # D7 NA (won, but never went through the stages: not counted anywhere), D8 2, D9 NA.
    # Lead: D1 D2 D3 D4 D6 D8 = 6; Qualified: D1 D3 D4 D8 = 4; Proposal: D1 D3 = 2;
    # Negotiation: D1 = 1; Won: D1 = 1
    assert funnel["reached"].tolist() == [6, 4, 2, 1, 1]
    # Lead: 100+200+300+400+600+800; Qualified: 100+300+400+800; Proposal: 100+300
    assert funnel["reached_amount"].tolist() == [2400.0, 1600.0, 400.0, 100.0, 100.0]
    assert funnel["still_open"].tolist() == [2, 2, 0, 0, 0]  # D4, D8 up to Qualified
    assert funnel["lost_here"].tolist() == [1, 1, 0, 0, 0]  # lost at stage is the same
    assert same(funnel["next_conversion"], [4 / 6, 2 / 4, 1 / 2, 1.0, NAN])
    assert same(funnel["cumulative_conversion"], [1.0, 4 / 6, 2 / 6, 1 / 6, 1 / 6])
    assert funnel["cohort"].tolist() == [9] * 5


def test_cohort_won_counts_every_won_deal_in_either_funnel() -> None:
    # won: D1, D2 (skipped Qualified) and D7 (won at creation) = 3 of 9, whereas the strict
    # funnel's Won step counts D1 only (the only one through every stage in order)
    assert reached(PER_DEAL, STAGES, strict=True)["reached"].iloc[-1] == 1
    assert cohort_won(PER_DEAL).to_dict("records") == [{"deals": 9, "won": 3, "won_share": 3 / 9}]
    by_group = cohort_won(aggregate(PER_DEAL, FACT_KEYS), by="group")
    # A = D1 D2 D5 D7 D8: won D1 D2 D7; B = D3 D4 D6 D9: none won
    assert by_group.to_dict("records") == [
        {"group": "A", "deals": 5, "won": 3, "won_share": 3 / 5},
        {"group": "B", "deals": 4, "won": 0, "won_share": 0.0},
    ]
    assert cohort_won(PER_DEAL.iloc[:0]).empty


def test_reached_by_group_with_zero_denominators() -> None:
    funnel = reached(PER_DEAL, STAGES, by="group")
    assert list(funnel.columns[:3]) == ["group", "stage_id", "stage"]
    assert funnel["group"].tolist() == ["A"] * 5 + ["B"] * 5
    a, b = funnel.iloc[:5], funnel.iloc[5:]
    # A = D1 D2 D5 D7 D8: all reach Lead..Proposal; Negotiation D1 D2 D5 D7; Won D1 D2 D7
    assert a["reached"].tolist() == [5, 5, 5, 4, 3]
    assert a["cohort"].tolist() == [5] * 5
    # B = D3 D4 D6 D9: Lead D3 D4 D6; Qualified D3 D4; Proposal D3; nothing further
    assert b["reached"].tolist() == [3, 2, 1, 0, 0]
    assert b["lost_here"].tolist() == [1, 1, 0, 0, 0]
    # Negotiation -> Won is 0 / 0: NaN, not 0
    assert same(b["next_conversion"], [2 / 3, 1 / 2, 0.0, NAN, NAN])
    assert same(b["pct_still_open"], [1 / 3, 1 / 2, 0.0, NAN, NAN])  # D4 open
    assert same(b["cumulative_conversion"], [1.0, 2 / 3, 1 / 3, 0.0, 0.0])
    assert b["cohort"].tolist() == [4] * 5


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("by", [None, "group"])
def test_reached_aggregated_equals_per_deal(strict: bool, by: str | None) -> None:
    aggregated = aggregate(PER_DEAL, FACT_KEYS)
    assert len(aggregated) < len(PER_DEAL) + 1
    pd.testing.assert_frame_equal(
        reached(aggregated, STAGES, by=by, strict=strict),
        reached(PER_DEAL, STAGES, by=by, strict=strict),
    )


def test_reached_with_a_group_that_has_no_open_stage_visit() -> None:
    # a group whose only deal was lost before any open stage: all zeros, NaN rates
    funnel = reached(PER_DEAL.iloc[[8]], STAGES, by="group")
    assert funnel["reached"].tolist() == [0] * 5
    assert funnel["cohort"].tolist() == [1] * 5
    assert same(funnel["cumulative_conversion"], [NAN] * 5)


def test_regression_rate() -> None:
    # D3 (3 -> 2) and D8 (3 -> 2) moved back: 2 of 9; A: D8 of 5; B: D3 of 4
    whole = regression_rate(PER_DEAL)
    assert whole.to_dict("records") == [{"deals": 9, "regressed": 2, "regression_rate": 2 / 9}]
    grouped = regression_rate(aggregate(PER_DEAL, FACT_KEYS), by="group")
    assert grouped["group"].tolist() == ["A", "B"]
    assert grouped["deals"].tolist() == [5, 4]
    assert grouped["regressed"].tolist() == [1, 1]
    assert grouped["regression_rate"].tolist() == [0.2, 0.25]


def test_unknown_or_reserved_by_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="'team'"):
        reached(PER_DEAL, STAGES, by="team")
    with pytest.raises(ValueError, match="'region'"):
        regression_rate(PER_DEAL, by=["group", "region"])
    with pytest.raises(ValueError, match="output column"):
        reached(PER_DEAL.assign(stage="x"), STAGES, by="stage")
    with pytest.raises(ValueError, match="twice"):
        regression_rate(PER_DEAL, by=["group", "group"])
    with pytest.raises(ValueError, match="status"):
        reached(PER_DEAL.assign(status="closed"), STAGES)
    with pytest.raises(ValueError, match="amount"):
        reached(PER_DEAL.drop(columns="amount"), STAGES)


def test_missing_group_values_form_their_own_group_last() -> None:
    facts = PER_DEAL.assign(group=PER_DEAL["group"].where(PER_DEAL["group"] == "A", None))
    funnel = reached(facts, STAGES, by="group")
    assert funnel["group"].iloc[:5].tolist() == ["A"] * 5
    assert funnel["group"].iloc[5:].isna().all()
    assert funnel["reached"].iloc[5:].tolist() == [3, 2, 1, 0, 0]  # the B deals


def test_empty_facts_give_empty_frames() -> None:
    empty = PER_DEAL.iloc[:0]
    for by in (None, "group"):
        funnel = reached(empty, STAGES, by=by)
        assert funnel.empty
        assert funnel.dtypes.equals(reached(PER_DEAL, STAGES, by=by).dtypes)
        rates = regression_rate(empty, by=by)
        assert rates.empty
        assert rates.dtypes.equals(regression_rate(PER_DEAL, by=by).dtypes)


# --- win rates, sales cycle ------------------------------------------------------------------

CLOSED = {
    "group": "str",
    "status": "str",
    "cycle_days": "float64",
    "deals": "int64",
    "amount": "float64",
    "cycle_days_sum": "float64",
}


def closed_frame() -> pd.DataFrame:
    """closed_deal_stats: cycle_days is the 0.1-day bin, cycle_days_sum the exact sum."""
    return frame(
        [
            ("A", "won", 10.0, 1, 100.0, 10.04),
            ("A", "won", 20.0, 2, 500.0, 40.1),  # two deals in the 20.0 bin: 20.01 + 20.09
            ("A", "lost", 3.5, 1, 400.0, 3.55),
            ("B", "lost", 8.0, 2, 0.0, 16.0),
            ("C", "won", 5.0, 1, 50.0, 5.0),
            ("C", "won", 7.0, 1, 150.0, 7.0),
        ],
        CLOSED,
    )


def test_win_rates_by_hand() -> None:
    rates = win_rates(closed_frame(), by="group")
    assert list(rates.columns) == [
        "group",
        "won",
        "lost",
        "closed",
        "won_amount",
        "closed_amount",
        "win_rate",
        "value_win_rate",
        "average_won_amount",
    ]
    assert rates["group"].tolist() == ["A", "B", "C"]
    assert rates["won"].tolist() == [3, 0, 2]
    assert rates["lost"].tolist() == [1, 2, 0]
    assert rates["closed"].tolist() == [4, 2, 2]
    assert rates["won_amount"].tolist() == [600.0, 0.0, 200.0]
    assert rates["closed_amount"].tolist() == [1000.0, 0.0, 200.0]
    assert same(rates["win_rate"], [3 / 4, 0.0, 1.0])
    # B: 0 won of 0 closed amount -> NaN, not 0; no won deal -> no average
    assert same(rates["value_win_rate"], [0.6, NAN, 1.0])
    assert same(rates["average_won_amount"], [200.0, NAN, 100.0])
    whole = win_rates(closed_frame()).iloc[0]
    # 5 won of 8 closed; 800 of 1200
    assert (whole["won"], whole["closed"]) == (5, 8)
    assert whole["win_rate"] == 5 / 8 and whole["value_win_rate"] == pytest.approx(800 / 1200)


def test_sales_cycle_by_hand() -> None:
    cycle = sales_cycle(closed_frame(), by="group")
    assert list(cycle.columns) == ["group", "won", "median_days", "mean_days"]
    assert cycle["won"].tolist() == [3, 0, 2]
    # A: won bins 10.0, 20.0, 20.0 -> median 20.0; mean (10.04 + 40.1) / 3 (exact sums)
    # B: no won deal -> NaN; C: 5.0 and 7.0 -> mean of the two middle values 6.0
    assert same(cycle["median_days"], [20.0, NAN, 6.0])
    assert same(cycle["mean_days"], [50.14 / 3, NAN, 6.0])
    whole = sales_cycle(closed_frame())
    # all won bins: 5, 7, 10, 20, 20 -> 10; mean (10.04 + 40.1 + 5 + 7) / 5
    assert whole["median_days"].tolist() == [10.0]
    assert whole["mean_days"].tolist() == [pytest.approx(62.14 / 5)]


def test_closed_stats_aggregated_equal_per_deal() -> None:
    # per deal (deals_closed-like: no count, no cycle sum) vs the query's aggregation
    rng = np.random.default_rng(11)
    n = 400
    per_deal = pd.DataFrame(
        {
            "group": rng.choice(np.array(["x", "y", "z"]), n),
            "status": rng.choice(np.array(["won", "lost"]), n, p=[0.4, 0.6]),
            "cycle_days": np.floor(rng.exponential(30.0, n) * 10) / 10,
            "amount": rng.integers(0, 50, n) * 100.0,
        }
    ).astype({"group": "str", "status": "str"})
    aggregated = (
        per_deal.assign(deals=1, cycle_days_sum=per_deal["cycle_days"])
        .groupby(["group", "status", "cycle_days"], as_index=False)
        .agg({"deals": "sum", "amount": "sum", "cycle_days_sum": "sum"})
    )
    for by in (None, "group"):
        pd.testing.assert_frame_equal(win_rates(aggregated, by=by), win_rates(per_deal, by=by))
        pd.testing.assert_frame_equal(sales_cycle(aggregated, by=by), sales_cycle(per_deal, by=by))
    # and the per-deal median is pandas' median of the won deals
    won = per_deal[per_deal["status"] == "won"]
    expected = won.groupby("group")["cycle_days"].median().tolist()
    assert sales_cycle(per_deal, by="group")["median_days"].tolist() == pytest.approx(expected)


def test_closed_stats_of_empty_input_and_bad_status() -> None:
    empty = closed_frame().iloc[:0]
    assert win_rates(empty).empty and sales_cycle(empty, by="group").empty
    assert list(sales_cycle(empty, by="group").columns) == [
        "group",
        "won",
        "median_days",
        "mean_days",
    ]
    with pytest.raises(ValueError, match="status"):
        win_rates(closed_frame().assign(status="open"))


# --- time in stage ----------------------------------------------------------------------------

DURATIONS = {
    "group": "str",
    "stage_id": "int64",
    "position": "int64",
    "duration_days": "float64",
    "censored": "bool",
    "visits": "int64",
}


def durations_frame() -> pd.DataFrame:
    return frame(
        [
            # Lead: finished 1.0, 2.0, 3.0; still there after 5.0 and 8.0
            ("A", 10, 1, 1.0, False, 1),
            ("A", 10, 1, 2.0, False, 1),
            ("B", 10, 1, 3.0, False, 1),
            ("A", 10, 1, 5.0, True, 1),
            ("B", 10, 1, 8.0, True, 1),
            # Qualified: censored after 1.0; finished 2.0, 4.0 (twice), 6.0
            ("A", 20, 2, 1.0, True, 1),
            ("A", 20, 2, 2.0, False, 1),
            ("A", 20, 2, 4.0, False, 2),
            ("B", 20, 2, 6.0, False, 1),
            # Negotiation: one visit, still running; Proposal: no visit
            ("B", 40, 4, 2.5, True, 1),
            # a stage of another pipeline: left out
            ("B", 99, 1, 1.0, False, 3),
        ],
        DURATIONS,
    )


def test_time_in_stage_kaplan_meier_by_hand() -> None:
    table = time_in_stage(durations_frame(), STAGES)
    assert list(table.columns) == [
        "stage_id",
        "stage",
        "position",
        "visits",
        "finished",
        "censored",
        "median",
        "p75",
        "p90",
    ]
    assert table["stage"].tolist() == ["Lead", "Qualified", "Proposal", "Negotiation"]
    assert table["visits"].tolist() == [5, 5, 0, 1]
    assert table["finished"].tolist() == [3, 4, 0, 0]
    assert table["censored"].tolist() == [2, 1, 0, 1]
    # Lead: n = 5; S(1) = 4/5, S(2) = 4/5 · 3/4 = 0.6, S(3) = 0.6 · 2/3 = 0.4 -> median 3.0
    # (the finished-only median would be 2.0); S never gets to 0.25 -> p75, p90 NaN.
    # Qualified: censored at 1 leaves 4 at risk; S(2) = 3/4, S(4) = 3/4 · 1/3 = 1/4,
    # S(6) = 0 -> median 4.0, p75 4.0 (S(4) = 0.25 ≤ 0.25), p90 6.0.
    # Proposal: no visit; Negotiation: only censored -> NaN.
    assert same(table["median"], [3.0, 4.0, NAN, NAN])
    assert same(table["p75"], [NAN, 4.0, NAN, NAN])
    assert same(table["p90"], [NAN, 6.0, NAN, NAN])
    assert stage_limits(table) == {20: 6.0}


def test_time_in_stage_by_group_and_custom_quantiles() -> None:
    table = time_in_stage(durations_frame(), STAGES, by="group", probs=[0.5, 0.8])
    assert list(table.columns[:2]) == ["group", "stage_id"]
    assert list(table.columns[-2:]) == ["median", "p80"]
    assert table["group"].tolist() == ["A"] * 4 + ["B"] * 4
    a = table.iloc[:4]
    # A Lead: 1.0, 2.0 finished, 5.0 censored: S(1) = 2/3, S(2) = 1/3 -> median 2.0, p80 NaN
    # A Qualified: censored 1.0; 2.0, 4.0, 4.0: S(2) = 2/3, S(4) = 0 -> median 4.0, p80 4.0
    assert same(a["median"], [2.0, 4.0, NAN, NAN])
    assert same(a["p80"], [NAN, 4.0, NAN, NAN])
    b = table.iloc[4:]
    # B Lead: 3.0 finished, 8.0 censored: S(3) = 1/2 -> median 3.0; B Qualified: 6.0
    assert same(b["median"], [3.0, 6.0, NAN, NAN])
    assert b["visits"].tolist() == [2, 1, 0, 1]
    with pytest.raises(ValueError, match="one row per stage"):
        stage_limits(time_in_stage(durations_frame(), STAGES, by="group"))


def test_time_in_stage_aggregated_equals_per_visit() -> None:
    rng = np.random.default_rng(5)
    n = 600
    per_visit = pd.DataFrame(
        {
            "group": rng.choice(np.array(["x", "y"]), n),
            "stage_id": rng.choice(np.array([10, 20, 30, 40]), n),
            "duration_days": np.floor(rng.exponential(9.0, n) * 10) / 10,
            "censored": rng.random(n) < 0.3,
        }
    ).astype({"group": "str"})
    aggregated = (
        per_visit.assign(visits=1)
        .groupby(["group", "stage_id", "duration_days", "censored"], as_index=False)["visits"]
        .sum()
    )
    assert len(aggregated) < n
    for by in (None, "group"):
        pd.testing.assert_frame_equal(
            time_in_stage(aggregated, STAGES, by=by), time_in_stage(per_visit, STAGES, by=by)
        )


def test_time_in_stage_of_no_visits() -> None:
    empty = durations_frame().iloc[:0]
    assert time_in_stage(empty, STAGES, by="group").empty
    table = time_in_stage(empty, STAGES)
    assert table.empty and "p90" in table.columns
    assert stage_limits(table) == {}


# --- lost reasons -------------------------------------------------------------------------------

LOST = {
    "lost_stage_position": "Int64",
    "owner_id": "int64",
    "lost_reason": "str",
    "deals": "int64",
    "amount": "float64",
}


def lost_frame() -> pd.DataFrame:
    return frame(
        [
            (1, 11, "Price", 2, 200.0),
            (1, 11, None, 1, 50.0),
            (2, 12, "Price", 1, 100.0),
            (2, 12, "Timing", 1, 0.0),
            (None, 12, "  ", 1, 10.0),  # blank = no reason; lost before any open stage
            (5, 11, "Price", 1, 40.0),  # a position that is not an open stage here
        ],
        LOST,
    )


def test_lost_reasons_overall() -> None:
    table = lost_reasons(lost_frame(), STAGES)
    assert list(table.columns) == ["lost_reason", "deals", "amount", "share", "amount_share"]
    # Price 2+1+1 = 4 deals, 340; no reason 1+1 = 2 deals, 60; Timing 1 deal, 0; of 7 / 400
    assert table["lost_reason"].tolist() == ["Price", NO_REASON, "Timing"]
    assert table["deals"].tolist() == [4, 2, 1]
    assert table["amount"].tolist() == [340.0, 60.0, 0.0]
    assert same(table["share"], [4 / 7, 2 / 7, 1 / 7])
    assert same(table["amount_share"], [0.85, 0.15, 0.0])


def test_lost_reasons_by_stage() -> None:
    table = lost_reasons(lost_frame(), STAGES, by="stage")
    assert list(table.columns[:2]) == ["stage", "lost_reason"]
    assert table["stage"].tolist() == [
        BEFORE_STAGES,
        "Lead",
        "Lead",
        "Qualified",
        "Qualified",
        "Position 5",
    ]
    assert table["lost_reason"].tolist() == [
        NO_REASON,
        "Price",
        NO_REASON,
        "Price",
        "Timing",  # a tie of 1 deal each: by name
        "Price",
    ]
    assert table["deals"].tolist() == [1, 2, 1, 1, 1, 1]
    # Lead: 2 of 3 deals, 200 of 250; Qualified: 1 of 2 each, 100 of 100 and 0 of 100
    assert same(table["share"], [1.0, 2 / 3, 1 / 3, 0.5, 0.5, 1.0])
    assert same(table["amount_share"], [1.0, 0.8, 0.2, 1.0, 0.0, 1.0])


def test_lost_reasons_by_rep_and_stage() -> None:
    by_rep = lost_reasons(lost_frame(), STAGES, by="owner_id")
    # rep 11: Price 2+1 = 3, no reason 1 (of 4); rep 12: no reason, Price, Timing 1 each (of 3)
    assert by_rep["owner_id"].tolist() == [11, 11, 12, 12, 12]
    assert by_rep["lost_reason"].tolist() == ["Price", NO_REASON, NO_REASON, "Price", "Timing"]
    assert same(by_rep["share"], [3 / 4, 1 / 4, 1 / 3, 1 / 3, 1 / 3])
    both = lost_reasons(lost_frame(), STAGES, by=["owner_id", "stage"])
    assert list(both.columns[:3]) == ["owner_id", "stage", "lost_reason"]
    assert both[["owner_id", "stage"]].drop_duplicates().values.tolist() == [
        [11, "Lead"],
        [11, "Position 5"],
        [12, BEFORE_STAGES],
        [12, "Qualified"],
    ]


def test_lost_reasons_aggregated_equal_per_deal_and_empty() -> None:
    per_deal = lost_frame().loc[lambda f: f.index.repeat(f["deals"])].drop(columns="deals")
    per_deal["amount"] = per_deal["amount"] / lost_frame()["deals"].repeat(lost_frame()["deals"])
    for by in (None, "stage", "owner_id"):
        pd.testing.assert_frame_equal(
            lost_reasons(per_deal, STAGES, by=by), lost_reasons(lost_frame(), STAGES, by=by)
        )
    empty = lost_reasons(lost_frame().iloc[:0], STAGES, by="stage")
    assert empty.empty and list(empty.columns[:2]) == ["stage", "lost_reason"]
    with pytest.raises(ValueError, match="'rep'"):
        lost_reasons(lost_frame(), STAGES, by="rep")


# --- pipeline change, waterfall, moves --------------------------------------------------------

PAIRS = {
    "deal_id": "int64",
    "group": "str",
    "position_0": "Int64",
    "amount_0": "float64",
    "position_1": "Int64",
    "amount_1": "float64",
    "status_1": "str",
}


def pairs_frame() -> pd.DataFrame:
    return frame(
        [
            (1, "A", 1, 100.0, 2, 150.0, "open"),  # advanced, +50
            (2, "A", 3, 200.0, 1, 200.0, "open"),  # slipped back, 0
            (3, "B", 2, 300.0, 2, 250.0, "open"),  # unchanged position, -50
            (4, "B", None, None, 1, 70.0, "open"),  # new
            (5, "A", 2, 500.0, None, None, "won"),  # won
            (6, "B", 1, 60.0, None, None, "lost"),  # lost
            (7, "A", 1, 30.0, None, None, "open"),  # dropped (open but in no snapshot)
            (8, "B", None, None, 2, None, "open"),  # new, amount missing -> 0
        ],
        PAIRS,
    )


def test_pipeline_change_classifies_every_case() -> None:
    changed = pipeline_change(pairs_frame())
    assert list(changed.columns) == [*PAIRS, "change", "amount_change"]
    assert changed["change"].tolist() == [
        "advanced",
        "slipped back",
        "unchanged",
        "new",
        "won",
        "lost",
        "dropped",
        "new",
    ]
    assert same(changed["amount_change"], [50.0, 0.0, -50.0, NAN, NAN, NAN, NAN, NAN])
    with pytest.raises(ValueError, match="neither"):
        pipeline_change(pairs_frame().assign(position_0=pd.NA, position_1=pd.NA))


def test_pipeline_waterfall_by_hand() -> None:
    steps = pipeline_waterfall(pairs_frame())
    assert list(steps.columns) == ["step", "measure", "amount", "deals"]
    assert steps["step"].tolist() == [
        "Pipeline at start",
        "New",
        "Amount increased",
        "Amount decreased",
        "Won",
        "Lost",
        "Dropped",
        "Pipeline at end",
    ]
    assert steps["measure"].tolist() == ["absolute"] + ["relative"] * 6 + ["total"]
    # start: 100 + 200 + 300 + 500 + 60 + 30 (deals 1 2 3 5 6 7); end: 150 + 200 + 250 + 70 + 0
    assert steps["amount"].tolist() == [1190.0, 70.0, 50.0, -50.0, -500.0, -60.0, -30.0, 670.0]
    assert steps["deals"].tolist() == [6, 2, 1, 1, 1, 1, 1, 5]
    relative = steps.loc[steps["measure"] == "relative", "amount"].sum()
    assert steps["amount"].iloc[0] + relative == steps["amount"].iloc[-1]


def test_pipeline_waterfall_by_group_and_without_dropped_deals() -> None:
    clean = pairs_frame().loc[lambda f: f["deal_id"] != 7]
    steps = pipeline_waterfall(clean, by="group")
    assert "Dropped" not in steps["step"].tolist()
    a = steps.loc[steps["group"] == "A"]
    b = steps.loc[steps["group"] == "B"]
    # A: start 100 + 200 + 500; +50; -500 won; end 150 + 200
    assert a["amount"].tolist() == [800.0, 0.0, 50.0, 0.0, -500.0, 0.0, 350.0]
    # B: start 300 + 60; new 70 + 0; -50; -60 lost; end 250 + 70 + 0
    assert b["amount"].tolist() == [360.0, 70.0, 0.0, -50.0, 0.0, -60.0, 320.0]
    assert b["deals"].tolist() == [2, 2, 0, 1, 0, 1, 3]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["g", "h"]),
            st.one_of(st.none(), st.integers(1, 4)),
            st.one_of(st.none(), st.integers(0, 10_000).map(float)),
            st.one_of(st.none(), st.integers(1, 4)),
            st.one_of(st.none(), st.integers(0, 10_000).map(float)),
            st.sampled_from(["open", "won", "lost"]),
        ),
        max_size=30,
    )
)
def test_waterfall_steps_add_up(rows: list[tuple[object, ...]]) -> None:
    data = [(i, *row) for i, row in enumerate(rows) if row[1] is not None or row[3] is not None]
    pairs = frame(data, PAIRS)
    for by in (None, "group"):
        steps = pipeline_waterfall(pairs, by=by)
        assert steps.empty == pairs.empty
        if steps.empty:
            continue
        groups = [steps] if by is None else [g for _, g in steps.groupby("group")]
        for group in groups:
            start = group.loc[group["measure"] == "absolute", "amount"].sum()
            relative = group.loc[group["measure"] == "relative", "amount"].sum()
            end = group.loc[group["measure"] == "total", "amount"].sum()
            assert start + relative == pytest.approx(end)
            counts = dict(zip(group["step"], group["deals"], strict=True))
            # deals: at start + new - won - lost - dropped = at end
            outflow = counts["Won"] + counts["Lost"] + counts.get("Dropped", 0)
            assert (
                counts["Pipeline at start"] + counts["New"] - outflow == counts["Pipeline at end"]
            )


def test_pipeline_moves() -> None:
    moves = pipeline_moves(pairs_frame())
    assert moves.to_dict("records") == [
        {"change": "advanced", "deals": 1, "amount": 150.0},
        {"change": "slipped back", "deals": 1, "amount": 200.0},
        {"change": "unchanged", "deals": 1, "amount": 250.0},
    ]
    grouped = pipeline_moves(pairs_frame(), by="group")
    assert grouped["group"].tolist() == ["A"] * 3 + ["B"] * 3
    assert grouped["deals"].tolist() == [1, 1, 0, 0, 0, 1]


def test_pipeline_frames_of_no_deals() -> None:
    empty = pairs_frame().iloc[:0]
    assert pipeline_change(empty).empty
    assert pipeline_waterfall(empty).empty and pipeline_moves(empty, by="group").empty
    assert list(pipeline_waterfall(empty, by="group").columns) == [
        "group",
        "step",
        "measure",
        "amount",
        "deals",
    ]


# --- velocity, coverage -------------------------------------------------------------------------


def test_sales_velocity_by_hand() -> None:
    velocity = sales_velocity(20, closed_frame())
    # closed: 5 won of 8; won amount 800 / 5 = 160; cycle (10.04 + 40.1 + 5 + 7) / 5 = 12.428
    assert velocity == Velocity(
        open_deals=20,
        win_rate=5 / 8,
        average_won_amount=160.0,
        average_cycle_days=pytest.approx(12.428),
        per_day=pytest.approx(20 * 5 / 8 * 160 / 12.428),
    )


def test_sales_velocity_without_closed_deals_or_cycle() -> None:
    nothing = sales_velocity(5, closed_frame().iloc[:0])
    assert nothing.open_deals == 5
    assert same([nothing.win_rate, nothing.average_cycle_days, nothing.per_day], [NAN] * 3)
    # won the same day it was created: cycle 0 -> NaN velocity
    instant = frame([("A", "won", 0.0, 1, 100.0, 0.0)], CLOSED)
    assert math.isnan(sales_velocity(5, instant).per_day)
    with pytest.raises(ValueError, match="open_deals"):
        sales_velocity(-1, closed_frame())


def test_sales_cycle_without_bins_keeps_the_mean() -> None:
    unbinned = closed_frame().assign(cycle_days=NAN)  # closed_deal_stats(binned=False)
    cycle = sales_cycle(unbinned, by="group").set_index("group")
    assert same(cycle["median_days"].tolist(), [NAN, NAN, NAN])
    assert cycle.loc["A", "mean_days"] == pytest.approx(50.14 / 3)
    assert cycle["won"].tolist() == [3, 0, 2]
    with pytest.raises(ValueError, match="cycle_days"):
        sales_cycle(unbinned.drop(columns="cycle_days_sum"))


def test_velocity_per_group_by_hand() -> None:
    # A: 3 won of 4, won 600 / 3 = 200, cycle (10.04 + 40.1) / 3 = 16.713; B: no win; C: 2 of 2,
    # won 200 / 2 = 100, cycle 12 / 2 = 6; D: open deals only
    open_deals = pd.DataFrame({"group": ["A", "B", "C", "D"], "open_deals": [6, 3, 2, 4]})
    table = velocity_table(open_deals, closed_frame(), by="group")
    assert table["group"].tolist() == ["A", "B", "C", "D"]
    assert table["open_deals"].tolist() == [6, 3, 2, 4]
    assert same(table["win_rate"].tolist(), [0.75, 0.0, 1.0, NAN])
    assert table["per_day"].iloc[0] == pytest.approx(6 * 0.75 * 200 / (50.14 / 3))
    assert table["per_day"].iloc[2] == pytest.approx(2 * 1.0 * 100 / 6)
    assert math.isnan(table["per_day"].iloc[1])  # no won deal: no average deal, no cycle
    assert math.isnan(table["per_day"].iloc[3])  # nothing closed
    # a group with closed deals but no open deal has velocity 0
    only_a = velocity_table(open_deals.iloc[1:], closed_frame(), by="group")
    assert only_a.set_index("group").loc["A", ["open_deals", "per_day"]].tolist() == [0, 0.0]
    # without groups it is sales_velocity
    whole = velocity_table(pd.DataFrame({"open_deals": [20]}), closed_frame())
    assert whole["per_day"].iloc[0] == pytest.approx(sales_velocity(20, closed_frame()).per_day)


@pytest.mark.skipif(not MAVEN.exists(), reason=f"Maven sample data not found at {MAVEN}")
def test_sales_velocity_on_maven() -> None:
    raw = pd.read_csv(MAVEN, parse_dates=["engage_date", "close_date"])
    closed = raw.loc[raw["deal_stage"].isin(["Won", "Lost"])]
    per_deal = pd.DataFrame(
        {
            "status": closed["deal_stage"].str.lower(),
            "amount": closed["close_value"],
            "cycle_days": (closed["close_date"] - closed["engage_date"]).dt.days.astype(float),
        }
    )
    open_deals = int(raw["deal_stage"].isin(["Engaging", "Prospecting"]).sum())
    assert open_deals == 2089  # 1589 Engaging + 500 Prospecting
    velocity = sales_velocity(open_deals, per_deal)
    assert velocity.win_rate == pytest.approx(4238 / 6711)  # 0.6315, closed only
    assert velocity.average_won_amount == pytest.approx(2360.91, abs=0.005)
    assert velocity.average_cycle_days == pytest.approx(51.78, abs=0.005)
    assert velocity.per_day == pytest.approx(60_147, abs=1)  # methods.md §1.5
    # the aggregated form (closed_deal_stats: day cycles are already 0.1-day bins) agrees
    aggregated = (
        per_deal.assign(deals=1, cycle_days_sum=per_deal["cycle_days"])
        .groupby(["status", "cycle_days"], as_index=False)
        .agg({"deals": "sum", "amount": "sum", "cycle_days_sum": "sum"})
    )
    assert sales_velocity(open_deals, aggregated).per_day == pytest.approx(velocity.per_day)


@pytest.mark.parametrize(
    ("expected", "quota", "won", "remaining", "ratio"),
    [
        (300.0, 200.0, 100.0, 100.0, 3.0),  # 300 / (200 - 100)
        (0.0, 200.0, 50.0, 150.0, 0.0),  # nothing in the pipeline: 0x
        (300.0, 200.0, 200.0, 0.0, NAN),  # quota met exactly
        (300.0, 200.0, 250.0, -50.0, NAN),  # quota exceeded
        (300.0, 0.0, 0.0, 0.0, NAN),  # no quota
        (300.0, NAN, 0.0, NAN, NAN),  # unknown quota
    ],
)
def test_pipeline_coverage(
    expected: float, quota: float, won: float, remaining: float, ratio: float
) -> None:
    coverage = pipeline_coverage(expected, quota, won)
    assert isinstance(coverage, Coverage)
    assert same([coverage.expected_amount, coverage.won_so_far], [expected, won])
    assert same([coverage.quota, coverage.remaining, coverage.ratio], [quota, remaining, ratio])


# --- stage flow -------------------------------------------------------------------------------

TRANSITIONS = {"from_stage_id": "Int64", "to_stage_id": "int64", "moves": "int64", "deals": "int64"}
TERMINAL = {50: "won", 51: "won", 60: "lost"}


def test_stage_flow_kinds() -> None:
    transitions = frame(
        [
            (None, 10, 8, 8),  # created in Lead
            (None, 20, 1, 1),  # created in Qualified
            (None, 50, 1, 1),  # created won
            (10, 20, 6, 6),  # forward
            (10, 30, 2, 2),  # skip (two open stages ahead)
            (10, 60, 1, 1),  # lost
            (20, 20, 3, 3),  # amount update within a stage: left out
            (30, 20, 2, 1),  # back (one deal twice)
            (40, 50, 3, 3),  # won
            (40, 51, 1, 1),  # won through a second won stage: one node
            (60, 20, 1, 1),  # reopened
            (99, 10, 1, 1),  # another pipeline's stage: left out
        ],
        TRANSITIONS,
    )
    flow = stage_flow(transitions, STAGES, TERMINAL)
    assert list(flow.columns) == ["source", "target", "moves", "deals", "kind"]
    assert flow.values.tolist() == [
        ["Created", "Lead", 8, 8, "created"],
        ["Created", "Qualified", 1, 1, "created"],
        ["Created", "Won", 1, 1, "created"],
        ["Lead", "Qualified", 6, 6, "forward"],
        ["Lead", "Proposal", 2, 2, "skip"],
        ["Lead", "Lost", 1, 1, "lost"],
        ["Proposal", "Qualified", 2, 1, "back"],
        ["Negotiation", "Won", 4, 4, "won"],  # 3 + 1 through the two won stages
        ["Lost", "Qualified", 1, 1, "reopened"],
    ]
    named = stage_flow(transitions, STAGES, TERMINAL, won_name="Closed won", created_name="New")
    assert named["source"].iloc[0] == "New" and "Closed won" in named["target"].tolist()


def test_stage_flow_reads_terminal_stages_from_flags() -> None:
    transitions = frame([(None, 10, 2, 2), (10, 50, 1, 1), (10, 60, 1, 1)], TRANSITIONS)
    terminal_rows = pd.DataFrame(
        {"stage_id": [50, 60], "stage": ["Closed won", "Closed lost"], "position": [5, 6]}
    )
    everything = pd.concat([STAGES, terminal_rows], ignore_index=True).assign(
        is_won=lambda f: f["stage_id"] == 50, is_lost=lambda f: f["stage_id"] == 60
    )
    flow = stage_flow(transitions, everything)
    pd.testing.assert_frame_equal(flow, stage_flow(transitions, STAGES, {50: "won", 60: "lost"}))
    assert flow["kind"].tolist() == ["created", "won", "lost"]
    with pytest.raises(ValueError, match="is_won"):
        stage_flow(transitions, STAGES)


def test_stage_flow_skip_counts_open_stages_not_position_numbers() -> None:
    gappy = STAGES.assign(position=[1, 5, 6, 10])  # positions with gaps
    transitions = frame([(10, 20, 1, 1), (20, 40, 1, 1)], TRANSITIONS)
    flow = stage_flow(transitions, gappy, TERMINAL)
    assert flow["kind"].tolist() == ["forward", "skip"]  # 1 -> 5 is the next open stage


def test_stage_flow_refuses_bad_terminal_maps_and_handles_empty() -> None:
    transitions = frame([(10, 20, 1, 1)], TRANSITIONS)
    with pytest.raises(ValueError, match="'won' or 'lost'"):
        stage_flow(transitions, STAGES, {50: "closed"})
    with pytest.raises(ValueError, match="both open and terminal"):
        stage_flow(transitions, STAGES, {10: "won"})
    empty = stage_flow(transitions.iloc[:0], STAGES, TERMINAL)
    assert empty.empty and list(empty.columns) == ["source", "target", "moves", "deals", "kind"]
