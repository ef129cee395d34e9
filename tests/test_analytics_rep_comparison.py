"""Weak spots, funnel plot, rank ranges and activity mix (analytics.rep_comparison)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.rep_comparison import (
    activities_per_won_deal,
    funnel_limits,
    funnel_position,
    quartile_activity_mix,
    rank_ranges,
    weak_spots,
)


def steps_frame(rows: list[tuple[str, str, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rep_id", "stage", "position", "entered", "went_on"])


# --- weak_spots ----------------------------------------------------------------------------

#: A converts 10/50 at Proposal against the rest's 140/200; at Qualified 30/40 against 150/200.
TEAM = steps_frame(
    [
        ("A", "Qualified", 1, 40, 30),
        ("A", "Proposal", 2, 50, 10),
        ("B", "Qualified", 1, 120, 90),
        ("B", "Proposal", 2, 120, 84),
        ("C", "Qualified", 1, 80, 60),
        ("C", "Proposal", 2, 80, 56),
    ]
)


def test_weak_spot_with_a_real_gap() -> None:
    result = weak_spots(TEAM).set_index("rep_id")
    a = result.loc["A"]
    assert a["stage"] == "Proposal" and a["position"] == 2 and a["entered"] == 50
    assert (a["rep_rate"], a["team_rate"], a["gap"]) == pytest.approx((0.2, 0.7, -0.5))
    # z-test (every expected cell ≥ 5): pooled 150/250 = 0.6,
    # se = sqrt(0.24 · (1/50 + 1/200)) = sqrt(0.006), z = −0.5/0.07746 = −6.455;
    # Holm over A's two stages doubles the smaller p-value
    z = -0.5 / math.sqrt(0.006)
    assert a["p_value"] == pytest.approx(2 * stats.norm.cdf(z))
    assert a["confidence"] == pytest.approx(1 - a["p_value"])
    assert a["significant"]
    # B and C convert 0.7 like the rest: included, without a weak spot
    for rep in ("B", "C"):
        assert result.loc[rep, "stage"] is None
        assert not result.loc[rep, "significant"]
        assert math.isnan(result.loc[rep, "gap"])
    assert list(result.reset_index().columns) == [
        "rep_id",
        "stage",
        "position",
        "rep_rate",
        "team_rate",
        "entered",
        "gap",
        "p_value",
        "confidence",
        "significant",
    ]


def test_no_weak_spot_when_the_gap_is_not_significant() -> None:
    steps = steps_frame([("A", "Proposal", 2, 4, 2), ("B", "Proposal", 2, 200, 140)])
    result = weak_spots(steps).set_index("rep_id")
    assert result.loc["A", "stage"] is None
    assert not result.loc["A", "significant"]


def test_small_counts_use_fishers_exact_test() -> None:
    # 1/10 against 140/200: expected "went on" cells 10 · 141/210 = 6.7 and not = 3.3 < 5
    steps = steps_frame([("A", "Proposal", 2, 10, 1), ("B", "Proposal", 2, 200, 140)])
    a = weak_spots(steps).set_index("rep_id").loc["A"]
    fisher = stats.fisher_exact([[1, 9], [140, 60]], alternative="less").pvalue
    assert a["p_value"] == pytest.approx(fisher)
    assert a["significant"] and a["stage"] == "Proposal"


def test_holm_correction_changes_the_verdict() -> None:
    """61/100 against 700/1000: pooled 761/1100, se = 0.048427, z = −1.8585, p = 0.0316.
    Alone it is significant; at two such stages Holm gives 2 · 0.0316 = 0.063 for both."""
    rest = [("R", "Proposal", 2, 1000, 700), ("R", "Demo", 3, 1000, 700)]
    one = weak_spots(steps_frame([("A", "Proposal", 2, 100, 61), *rest[:1]])).set_index("rep_id")
    assert one.loc["A", "p_value"] == pytest.approx(0.031554, abs=1e-5)
    assert one.loc["A", "significant"] and one.loc["A", "stage"] == "Proposal"
    two = weak_spots(
        steps_frame([("A", "Proposal", 2, 100, 61), ("A", "Demo", 3, 100, 61), *rest])
    ).set_index("rep_id")
    assert not two.loc["A", "significant"] and two.loc["A", "stage"] is None


def test_the_largest_significant_gap_is_the_weak_spot() -> None:
    steps = steps_frame(
        [
            ("A", "Qualified", 1, 100, 40),
            ("A", "Proposal", 2, 100, 20),
            ("B", "Qualified", 1, 1000, 700),
            ("B", "Proposal", 2, 1000, 700),
        ]
    )
    a = weak_spots(steps).set_index("rep_id").loc["A"]
    assert a["stage"] == "Proposal" and a["gap"] == pytest.approx(-0.5)


def test_team_totals_give_the_same_answer_as_every_rep() -> None:
    team = TEAM.groupby("position", as_index=False)[["entered", "went_on"]].sum()
    everyone = weak_spots(TEAM).set_index("rep_id")
    for rep in ("A", "B", "C"):
        alone = weak_spots(TEAM[TEAM["rep_id"] == rep], team=team)
        assert len(alone) == 1
        pd.testing.assert_series_equal(
            alone.set_index("rep_id").loc[rep], everyone.loc[rep], check_names=False
        )


def test_weak_spots_validates() -> None:
    with pytest.raises(ValueError, match="went_on must not exceed entered"):
        weak_spots(steps_frame([("A", "Proposal", 2, 4, 5)]))
    with pytest.raises(ValueError, match="lacks the column"):
        weak_spots(TEAM.drop(columns="position"))
    small = pd.DataFrame({"position": [1, 2], "entered": [10, 10], "went_on": [5, 5]})
    with pytest.raises(ValueError, match="team totals are smaller"):
        weak_spots(TEAM[TEAM["rep_id"] == "A"], team=small)
    with pytest.raises(ValueError, match="team lacks a position"):
        weak_spots(TEAM, team=small.iloc[:1])


# --- funnel plot ---------------------------------------------------------------------------


def test_funnel_limits_by_hand() -> None:
    limits = funnel_limits(0.6, 100)
    # n = 100: se = sqrt(0.24/100) = 0.0489898; 1.959964 se = 0.096018, 3.090232 se = 0.151390
    row = limits[limits["n"] == 100].iloc[0]
    assert row["low95"] == pytest.approx(0.6 - 1.959964 * 0.0489898, abs=1e-6)
    assert row["high95"] == pytest.approx(0.696018, abs=1e-6)
    assert row["low998"] == pytest.approx(0.448610, abs=1e-6)
    assert row["high998"] == pytest.approx(0.751390, abs=1e-6)
    # n = 1: 0.6 ± 0.96 clipped to [0, 1]
    first = limits.iloc[0]
    assert (first["n"], first["low95"], first["high95"]) == (1.0, 0.0, 1.0)
    assert set(range(1, 21)) <= set(limits["n"])
    assert limits["n"].is_monotonic_increasing and limits["n"].is_unique
    assert list(limits.columns) == ["n", "low95", "high95", "low998", "high998"]


def test_funnel_limits_validates() -> None:
    with pytest.raises(ValueError, match="team_rate"):
        funnel_limits(1.2, 10)
    with pytest.raises(ValueError, match="max_n"):
        funnel_limits(0.5, 0)


def test_funnel_position() -> None:
    positions = funnel_position(
        pd.Series([0.76, 0.70, 0.6, 0.50, 0.44, 0.9], index=list("abcdef")),
        pd.Series([100, 100, 100, 100, 100, np.nan], index=list("abcdef")),
        0.6,
    )
    assert positions.tolist() == ["above998", "above95", "inside", "below95", "below998", None]
    assert list(positions.index) == list("abcdef")


# --- rank ranges ---------------------------------------------------------------------------


def test_clear_leader_ranks_first_in_every_draw() -> None:
    alpha = pd.Series([900.0, 50.0, 45.0, np.nan], index=["ann", "bob", "cy", "dee"])
    beta = pd.Series([100.0, 50.0, 55.0, np.nan], index=alpha.index)
    ranks = rank_ranges(alpha, beta)
    assert ranks.loc["ann", "rank"] == ranks.loc["ann", "rank_low"] == 1
    assert ranks.loc["ann", "rank_high"] == 1
    assert ranks.loc["ann", "p_top"] > 0.99
    assert ranks.loc["bob", "rank"] == 2 and ranks.loc["cy", "rank"] == 3
    # bob and cy overlap: both places are plausible for each
    assert (ranks.loc["bob", "rank_low"], ranks.loc["bob", "rank_high"]) == (2, 3)
    assert pd.isna(ranks.loc["dee", "rank"]) and math.isnan(ranks.loc["dee", "p_top"])
    pd.testing.assert_frame_equal(ranks, rank_ranges(alpha, beta))  # seeded: reproducible


def test_rank_ranges_normal_lower_is_better() -> None:
    # cycle days: 10 ± 0.1 is clearly the fastest
    ranks = rank_ranges(
        [30.0, 10.0, 20.0], [1.0, 0.1, 1.0], family="normal", higher_is_better=False
    )
    assert ranks["rank"].tolist() == [3, 1, 2]
    assert ranks["p_top"].tolist() == pytest.approx([0.0, 1.0, 0.0])
    assert ranks["rank_low"].tolist() == ranks["rank_high"].tolist() == [3, 1, 2]


def test_rank_ranges_ties_and_validation() -> None:
    ranks = rank_ranges([5.0, 5.0, 1.0], [5.0, 5.0, 9.0])
    assert ranks["rank"].tolist() == [1, 1, 3]
    assert 0.3 < ranks.loc[0, "p_top"] < 0.7
    with pytest.raises(ValueError, match="must be positive"):
        rank_ranges([0.0], [1.0])
    with pytest.raises(ValueError, match="alpha_post has 2 values"):
        rank_ranges([1.0, 2.0], [1.0])


# --- activity mix --------------------------------------------------------------------------


def test_quartile_activity_mix_on_eight_reps() -> None:
    """Scores 1..8: 75th percentile 6.25 -> top = reps 7, 8; 25th 2.75 -> bottom = reps 1, 2.
    Top: call 20 + 10 = 30, email 30 (shares ½, ½); bottom: call 5, email 4, meeting 1."""
    score = pd.Series(np.arange(1.0, 9.0), index=range(1, 9))
    activities = pd.DataFrame(
        [
            (8, "call", 10),
            (8, "email", 30),
            (7, "call", 20),
            (5, "call", 100),
            (1, "call", 5),
            (1, "meeting", 1),
            (2, "email", 4),
        ],
        columns=["rep_id", "type", "activities"],
    )
    mix = quartile_activity_mix(activities, score)
    assert mix.to_dict("list") == {
        "quartile": ["top"] * 3 + ["bottom"] * 3,
        "type": ["call", "email", "meeting"] * 2,
        "activities": [30, 30, 0, 5, 4, 1],
        "share": pytest.approx([0.5, 0.5, 0.0, 0.5, 0.4, 0.1]),
        "per_rep": pytest.approx([15.0, 15.0, 0.0, 2.5, 2.0, 0.5]),
    }


def test_quartile_activity_mix_needs_four_reps_with_spread() -> None:
    activities = pd.DataFrame({"rep_id": [1], "type": ["call"], "activities": [3]})
    assert quartile_activity_mix(activities, pd.Series([0.1, 0.5, 0.9])).empty
    assert quartile_activity_mix(activities, pd.Series([0.5] * 5)).empty
    four = pd.Series([0.1, 0.5, 0.9, np.nan, 0.7])
    assert not quartile_activity_mix(activities, four).empty


def test_activities_per_won_deal() -> None:
    per_deal = activities_per_won_deal(
        pd.Series({"a": 30, "b": 12, "c": 5}), pd.Series({"a": 4, "b": 0, "d": 2})
    )
    assert per_deal["a"] == 7.5 and per_deal["d"] == 0.0
    assert math.isnan(per_deal["b"]) and math.isnan(per_deal["c"])
