"""Kaplan–Meier curves and quantiles (analytics.survival): the oracle of methods.md §1.2,
agreement with statsmodels' SurvfuncRight on random censored data, frequency weights, and the
effect of censoring on the median."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.duration.survfunc import SurvfuncRight

from analytics.survival import KM_COLUMNS, kaplan_meier, km_quantile, km_quantiles

ORACLE_TIMES = [3, 5, 6, 7, 8, 10, 12, 12]
ORACLE_EVENTS = [1, 0, 1, 1, 0, 1, 1, 0]


def test_the_methods_oracle() -> None:
    km = kaplan_meier(ORACLE_TIMES, ORACLE_EVENTS)
    assert list(km.columns) == KM_COLUMNS
    assert km.dtypes.astype(str).tolist() == ["float64"] * 5
    # one row per distinct time, censored-only times (5, 8) included
    assert km["time"].tolist() == [3, 5, 6, 7, 8, 10, 12]
    assert km["at_risk"].tolist() == [8, 7, 6, 5, 4, 3, 2]
    assert km["events"].tolist() == [1, 0, 1, 1, 0, 1, 1]
    assert km["censored"].tolist() == [0, 1, 0, 0, 1, 0, 1]
    # S(3) = 7/8; S(6) = 7/8 · 5/6; S(7) = · 4/5; S(10) = · 2/3; S(12) = · 1/2
    by_time = dict(zip(km["time"], km["survival"], strict=True))
    assert by_time[3] == pytest.approx(0.875)
    assert by_time[5] == pytest.approx(0.875)  # censoring does not move the curve
    assert by_time[6] == pytest.approx(0.72917, abs=1e-5)
    assert by_time[7] == pytest.approx(0.58333, abs=1e-5)
    assert by_time[10] == pytest.approx(0.38889, abs=1e-5)
    assert by_time[12] == pytest.approx(0.19444, abs=1e-5)
    assert km_quantile(km, 0.5) == 10.0  # first S ≤ 0.5: S(7) = 0.583, S(10) = 0.389
    assert km_quantile(km, 0.25) == 6.0  # first S ≤ 0.75: S(6) = 0.729
    assert math.isnan(km_quantile(km, 0.9))  # S never gets to 0.1 (last value 0.194)


def test_quantiles_agree_with_statsmodels_on_the_oracle() -> None:
    fit = SurvfuncRight(ORACLE_TIMES, ORACLE_EVENTS)
    km = kaplan_meier(ORACLE_TIMES, ORACLE_EVENTS)
    for p in (0.25, 0.5, 0.75, 0.9):
        assert same_float(km_quantile(km, p), fit.quantile(p))


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


def test_quantile_rule_on_an_exact_plateau_differs_from_statsmodels() -> None:
    # four finished durations: S(1) = 0.75, S(2) = 0.5 exactly, S(3) = 0.25, S(4) = 0.
    # This module: smallest t with S(t) ≤ 0.5 -> 2 (lifelines' rule); statsmodels (like SAS)
    # uses S(t) < 0.5 -> 3.  Everywhere else the two rules agree.
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert km_quantile(km, 0.5) == 2.0
    assert SurvfuncRight([1, 2, 3, 4], [1, 1, 1, 1]).quantile(0.5) == 3.0
    # 7/8 · 6/7 · 5/6 · 4/5 is 0.5 only up to rounding: the tolerance still finds it
    km8 = kaplan_meier(np.arange(1.0, 9.0), np.ones(8))
    assert km_quantile(km8, 0.5) == 4.0
    assert km_quantile(km8, 1.0) == 8.0  # S reaches 0 at the last event


def statsmodels_quantile_with_our_rule(fit: SurvfuncRight, p: float) -> float:
    """statsmodels' quantile, moved to the plateau's start when S sits exactly on 1 − p."""
    touching = np.flatnonzero(np.abs(fit.surv_prob - (1 - p)) < 1e-9)
    if len(touching):
        return float(fit.surv_times[touching[0]])
    return float(fit.quantile(p))


def random_sample(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Durations rounded to 0.1 day (ties, as in the binned query), ~35 % censored, weights."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    durations = np.round(rng.exponential(12.0, n), 1)
    events = rng.random(n) > 0.35
    weights = rng.integers(1, 5, n)
    return durations, events, weights


@pytest.mark.parametrize("seed", range(12))
def test_survival_and_quantiles_match_statsmodels(seed: int) -> None:
    durations, events, weights = random_sample(seed)
    for w in (None, weights):
        fit = SurvfuncRight(durations, events.astype(int), freq_weights=w)
        km = kaplan_meier(durations, events, w)
        with_events = km.loc[km["events"] > 0]
        # statsmodels keeps the event times only; the curve, risk sets and events agree there
        np.testing.assert_allclose(with_events["time"], fit.surv_times)
        np.testing.assert_allclose(with_events["survival"], fit.surv_prob, rtol=1e-12)
        np.testing.assert_allclose(with_events["at_risk"], fit.n_risk)
        np.testing.assert_allclose(with_events["events"], fit.n_events)
        for p in (0.1, 0.25, 0.5, 0.75, 0.9):
            assert same_float(km_quantile(km, p), statsmodels_quantile_with_our_rule(fit, p))


@pytest.mark.parametrize("seed", range(5))
def test_weights_equal_repeated_rows(seed: int) -> None:
    durations, events, weights = random_sample(seed)
    weighted = kaplan_meier(durations, events, weights)
    repeated = kaplan_meier(np.repeat(durations, weights), np.repeat(events, weights))
    pd.testing.assert_frame_equal(weighted, repeated)
    # statsmodels on the repeated rows: the same curve
    fit = SurvfuncRight(np.repeat(durations, weights), np.repeat(events, weights).astype(int))
    with_events = weighted.loc[weighted["events"] > 0]
    np.testing.assert_allclose(with_events["survival"], fit.surv_prob, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30).map(lambda x: x / 10),
            st.booleans(),
            st.integers(0, 4),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_weights_equal_repeats_property(rows: list[tuple[float, bool, int]]) -> None:
    durations, events, weights = (np.array(c) for c in zip(*rows, strict=True))
    weighted = kaplan_meier(durations, events, weights)
    repeated = kaplan_meier(np.repeat(durations, weights), np.repeat(events, weights))
    pd.testing.assert_frame_equal(weighted, repeated)  # weight 0 = the row is absent
    for p in (0.5, 0.9):
        assert same_float(km_quantile(weighted, p), km_quantile(repeated, p))


BIN = 10  # hundredths of a day: the reports' 0.1-day bins


def binned_quantiles(rows: list[tuple[int, bool]], probs: tuple[float, ...]) -> list[tuple]:
    """(p, exact quantile, binned quantile) in hundredths of a day (NaN when not reached)."""
    hundredths = np.array([t for t, _ in rows])
    events = np.array([e for _, e in rows])
    exact = kaplan_meier(hundredths, events)
    binned = kaplan_meier(hundredths // BIN * BIN, events)
    return [(p, km_quantile(exact, p), km_quantile(binned, p)) for p in probs]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 400), st.booleans()), min_size=1, max_size=40),
)
def test_binned_quantiles_never_more_than_a_bin_early(rows: list[tuple[int, bool]]) -> None:
    # analytics.survival's docstring, "Binned durations": q_b ≥ q_e − h; q_b missing when q_e
    # is; q_b = q_e rounded down to the bin unless a censored duration shares a bin with a
    # longer ended one
    shadowed = any(
        not ended and other_ended and t // BIN == other // BIN and t < other
        for t, ended in rows
        for other, other_ended in rows
    )
    for p, exact, binned in binned_quantiles(rows, (0.25, 0.5, 0.75, 0.9)):
        if math.isnan(exact):
            assert math.isnan(binned), p
            continue
        if not shadowed:
            assert binned == exact // BIN * BIN, p
        assert math.isnan(binned) or binned > exact - BIN, p


def test_a_censored_visit_in_an_ended_ones_bin_delays_a_small_samples_quantile() -> None:
    # 13 short ended visits, then 32.31 censored, 32.32 and 33.75 ended (in hundredths):
    # exact S = 3/16 · 1/2 ≤ 0.1 at 32.32; binned, the censored visit is at risk at 32.3:
    # S = 3/16 · 2/3 = 0.125, and only 33.7 brings it to 0
    rows = [(100 * day, True) for day in range(1, 14)]
    rows += [(3231, False), (3232, True), (3375, True)]
    assert binned_quantiles(rows, (0.9,)) == [(0.9, 3232.0, 3370.0)]  # 1.38 days later
    assert binned_quantiles(rows, (0.5,)) == [(0.5, 800.0, 800.0)]  # no shadow before it


def test_censored_visits_change_the_median_the_way_they_should() -> None:
    finished = [1.0, 2.0, 3.0, 4.0, 5.0]
    only_finished = kaplan_meier(finished, [1] * 5)
    assert km_quantile(only_finished, 0.5) == 3.0  # the plain median of 1..5
    # three visits still running after 10 days: S(1..4) = 7/8, 6/8, 5/8, 4/8 -> median 4.
    # Dropping them (the "finished only" bias) would say 3.
    long_open = kaplan_meier([*finished, 10.0, 10.0, 10.0], [1] * 5 + [0] * 3)
    assert km_quantile(long_open, 0.5) == 4.0
    # ... and the 90th percentile is unknown: S stays at 3/8 after the last finished visit
    assert math.isnan(km_quantile(long_open, 0.9))
    # three visits censored early (after 0.5 days) tell nothing about later times: the median
    # stays 3.  Counting them as finished would pull it down to 1 (S(0.5) = 5/8, S(1) = 4/8).
    short_open = kaplan_meier([*finished, 0.5, 0.5, 0.5], [1] * 5 + [0] * 3)
    assert km_quantile(short_open, 0.5) == 3.0
    as_if_finished = kaplan_meier([*finished, 0.5, 0.5, 0.5], [1] * 8)
    assert km_quantile(as_if_finished, 0.5) == 1.0


def test_events_and_censoring_at_the_same_time() -> None:
    # at t = 2 one event and one censoring: both at risk at 2 (events come first)
    km = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1])
    assert km["at_risk"].tolist() == [4, 3, 1]
    # S(1) = 3/4, S(2) = 3/4 · 2/3 = 1/2, S(3) = 0
    np.testing.assert_allclose(km["survival"], [0.75, 0.5, 0.0])
    fit = SurvfuncRight([1, 2, 2, 3], [1, 1, 0, 1])
    np.testing.assert_allclose(km["survival"], fit.surv_prob)


def test_grouped_curves_equal_separate_curves() -> None:
    durations, events, weights = random_sample(7)
    groups = np.random.default_rng(1).choice(np.array(["a", "b", "c"]), len(durations))
    grouped = kaplan_meier(durations, events, weights, groups=groups)
    assert list(grouped.columns) == ["group", *KM_COLUMNS]
    quantiles = km_quantiles(grouped, [0.5, 0.9])
    assert quantiles.index.tolist() == ["a", "b", "c"]
    for label in ("a", "b", "c"):
        mine = groups == label
        alone = kaplan_meier(durations[mine], events[mine], weights[mine])
        part = grouped.loc[grouped["group"] == label, KM_COLUMNS].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone)
        for p in (0.5, 0.9):
            assert same_float(quantiles.loc[label, p], km_quantile(alone, p))
    with pytest.raises(ValueError, match="km_quantiles"):
        km_quantile(grouped, 0.5)


def test_ungrouped_quantiles_frame() -> None:
    km = kaplan_meier(ORACLE_TIMES, ORACLE_EVENTS)
    table = km_quantiles(km, [0.5, 0.9])
    assert table.index.tolist() == [0]
    assert table.loc[0, 0.5] == 10.0 and math.isnan(table.loc[0, 0.9])


def test_empty_input_and_zero_weights() -> None:
    empty = kaplan_meier([], [])
    assert list(empty.columns) == KM_COLUMNS and empty.empty
    assert math.isnan(km_quantile(empty, 0.5))
    assert km_quantiles(empty, [0.5]).empty
    # all weights zero: nothing observed
    assert kaplan_meier([1.0, 2.0], [1, 0], [0, 0]).empty
    grouped = kaplan_meier([], [], groups=[])
    assert list(grouped.columns) == ["group", *KM_COLUMNS] and grouped.empty


@pytest.mark.parametrize(
    ("durations", "events", "weights", "message"),
    [
        ([1.0, float("nan")], [1, 1], None, "durations"),
        ([1.0, -2.0], [1, 1], None, "negative"),
        ([1.0, 2.0], [1, 2], None, "events"),
        ([1.0, 2.0], [1], None, "events has 1"),
        ([1.0, 2.0], [1, 1], [1.0, -1.0], "negative"),
        ([1.0, 2.0], [1, 1], [1.0], "weights has 1"),
    ],
)
def test_invalid_input_is_refused(
    durations: list[float], events: list[int], weights: list[float] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        kaplan_meier(durations, events, weights)


@pytest.mark.parametrize("p", [0.0, -0.1, 1.5, float("nan")])
def test_quantile_probability_must_be_in_range(p: float) -> None:
    km = kaplan_meier(ORACLE_TIMES, ORACLE_EVENTS)
    with pytest.raises(ValueError, match="probability"):
        km_quantile(km, p)
