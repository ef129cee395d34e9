"""Raw and shrunk per-rep rates and means (analytics.shrinkage; methods.md §3 oracles)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from analytics.shrinkage import (
    BetaPrior,
    clopper_pearson_interval,
    fit_beta_prior,
    james_stein,
    shrink_means,
    shrink_rates,
    wilson_interval,
)

#: Efron & Morris (1977): hits in the first 45 at-bats of 1970, 18 players.
HITS = {
    "Clemente": 18,
    "F. Robinson": 17,
    "F. Howard": 16,
    "Johnstone": 15,
    "Berry": 14,
    "Spencer": 14,
    "Kessinger": 13,
    "Alvarado": 12,
    "Santo": 11,
    "Swoboda": 11,
    "Unser": 10,
    "Williams": 10,
    "Scott": 10,
    "Petrocelli": 10,
    "E. Rodriguez": 10,
    "Campaneris": 9,
    "Munson": 8,
    "Alvis": 7,
}
AT_BATS = 45


def baseball() -> tuple[pd.Series, pd.Series]:
    hits = pd.Series(HITS)
    return hits, pd.Series(AT_BATS, index=hits.index)


def neg_log_likelihood(hits: np.ndarray, n: np.ndarray, a: float, b: float) -> float:
    return -float((special.betaln(hits + a, n - hits + b) - special.betaln(a, b)).sum())


# --- intervals -----------------------------------------------------------------------------


def test_wilson_and_clopper_pearson_oracles() -> None:
    low, high = wilson_interval([7, 0], [10, 5])
    assert low == pytest.approx([0.3968, 0.0], abs=1e-4)
    assert high == pytest.approx([0.8922, 0.4345], abs=1e-4)
    low, high = clopper_pearson_interval([7], [10])
    assert (low[0], high[0]) == pytest.approx((0.3475, 0.9333), abs=1e-4)


def test_intervals_are_missing_without_trials_and_exact_at_the_edges() -> None:
    for interval in (wilson_interval, clopper_pearson_interval):
        low, high = interval([0, 3], [0, 3])
        assert math.isnan(low[0]) and math.isnan(high[0])
        assert high[1] == 1.0
    low, high = clopper_pearson_interval([0], [5])
    # 0/5: the upper bound solves (1 − p)^5 = 0.025
    assert (low[0], high[0]) == pytest.approx((0.0, 1 - 0.025 ** (1 / 5)))


def test_confidence_is_checked() -> None:
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval([1], [2], confidence=95)


# --- Efron & Morris ------------------------------------------------------------------------


def test_james_stein_reproduces_efron_morris() -> None:
    hits, at_bats = baseball()
    assert hits.sum() == 215
    grand, c, estimates = james_stein(hits, at_bats)
    assert grand == pytest.approx(215 / 810)
    assert round(grand, 3) == 0.265
    assert c == pytest.approx(0.212, abs=1e-3)
    # Clemente: .265 + c · (.400 − .265)
    assert estimates[0] == pytest.approx(grand + c * (18 / 45 - grand))


def test_james_stein_needs_equal_trials_and_four_reps() -> None:
    with pytest.raises(ValueError, match="same positive number of trials"):
        james_stein([1, 2, 3, 4], [10, 10, 10, 11])
    with pytest.raises(ValueError, match="at least 4 reps"):
        james_stein([1, 2, 3], [10, 10, 10])


def test_beta_binomial_prior_on_efron_morris() -> None:
    """methods.md quotes α0 = 206.4, β0 = 571.3.  The likelihood is flat along α + β there;
    the maximum lies at α0 = 210.55, β0 = 582.69 (a profile-likelihood scan over α + β and a
    Nelder–Mead run with tight tolerances agree), 2 % from the quoted pair, whose log-likelihood
    is 8e-6 lower.  So: the prior mean to 0.1 %, the concentration to 3 % of the quoted values,
    the exact maximum to 0.1 %, and the fit at least as likely as the quoted pair."""
    hits, at_bats = baseball()
    prior = fit_beta_prior(hits, at_bats)
    assert not prior.pooled and prior.reps == 18
    assert prior.mean == pytest.approx(206.4 / (206.4 + 571.3), rel=1e-3)
    assert prior.alpha + prior.beta == pytest.approx(206.4 + 571.3, rel=0.03)
    assert (prior.alpha, prior.beta) == pytest.approx((210.55, 582.69), rel=1e-3)
    h, n = hits.to_numpy(float), at_bats.to_numpy(float)
    assert neg_log_likelihood(h, n, prior.alpha, prior.beta) <= neg_log_likelihood(
        h, n, 206.4, 571.3
    )


def test_shrunk_rates_on_efron_morris_pull_towards_the_prior_mean() -> None:
    hits, at_bats = baseball()
    frame = shrink_rates(hits, at_bats)
    prior = frame.attrs["prior"]
    assert list(frame.index) == list(HITS)
    assert frame.loc["Clemente", "rate"] == pytest.approx(0.4)
    # Clemente: (18 + α) / (45 + α + β)
    assert frame.loc["Clemente", "shrunk"] == pytest.approx(
        (18 + prior.alpha) / (45 + prior.alpha + prior.beta)
    )
    low = np.minimum(frame["rate"], 215 / 810)
    high = np.maximum(frame["rate"], 215 / 810)
    assert ((frame["shrunk"] >= low) & (frame["shrunk"] <= high)).all()
    assert (frame["shrunk_low"] < frame["shrunk"]).all()
    assert (frame["shrunk"] < frame["shrunk_high"]).all()
    assert frame.loc["Clemente", "p_above_team"] > 0.5 > frame.loc["Alvis", "p_above_team"]


# --- shrink_rates edge cases ---------------------------------------------------------------


def test_fixed_prior_gives_the_hand_computed_posterior() -> None:
    frame = shrink_rates(
        pd.Series([4, 1], index=["ann", "bob"]),
        pd.Series([6, 4], index=["ann", "bob"]),
        prior=BetaPrior(2.0, 3.0, 0.4, False, 2),
    )
    # ann: Beta(2 + 4, 3 + 2) -> mean 6/11; team rate (4 + 1)/(6 + 4) = 0.5
    assert frame.loc["ann", "shrunk"] == pytest.approx(6 / 11)
    assert frame.loc["ann", "shrunk_low"] == pytest.approx(stats.beta.ppf(0.025, 6, 5))
    assert frame.loc["ann", "shrunk_high"] == pytest.approx(stats.beta.ppf(0.975, 6, 5))
    assert frame.loc["ann", "p_above_team"] == pytest.approx(stats.beta.sf(0.5, 6, 5))
    # bob: Beta(3, 6) -> 1/3
    assert frame.loc["bob", "shrunk"] == pytest.approx(1 / 3)
    assert list(frame.columns) == [
        "successes",
        "trials",
        "rate",
        "rate_low",
        "rate_high",
        "shrunk",
        "shrunk_low",
        "shrunk_high",
        "p_above_team",
        "prior_only",
    ]


def test_complete_pooling_when_reps_do_not_differ() -> None:
    frame = shrink_rates([5, 5, 5, 5], [10, 10, 10, 10])
    prior = frame.attrs["prior"]
    assert prior.pooled and prior.reps == 4
    assert math.isnan(prior.alpha) and math.isnan(prior.beta)
    assert prior.interval() == (0.5, 0.5)
    assert (frame["shrunk"] == 0.5).all()
    # the pooled team's posterior Beta(20 + ½, 20 + ½)
    assert frame["shrunk_low"].tolist() == pytest.approx([stats.beta.ppf(0.025, 20.5, 20.5)] * 4)
    assert frame["shrunk_high"].tolist() == pytest.approx([stats.beta.ppf(0.975, 20.5, 20.5)] * 4)
    assert frame["p_above_team"].isna().all()


def test_complete_pooling_with_fewer_than_two_reps_and_without_trials() -> None:
    prior = fit_beta_prior([3, 0], [4, 0])
    assert prior.pooled and prior.reps == 1 and prior.mean == 0.75
    prior = fit_beta_prior([0, 0], [0, 0])
    assert prior.pooled and prior.reps == 0 and math.isnan(prior.mean)


def test_complete_pooling_when_the_maximum_runs_to_the_boundary() -> None:
    # rates .356, .556, .342: the moments give v_b = 0.0143 − 0.0129 > 0, but the
    # likelihood keeps growing with α + β (the spread is what 9 trials explain)
    wins, trials = np.array([16.0, 5, 13]), np.array([45.0, 9, 38])
    rates = wins / trials
    mean = rates.mean()
    assert rates.var(ddof=1) - np.mean(mean * (1 - mean) / trials) > 0
    prior = fit_beta_prior(wins, trials)
    assert prior.pooled and prior.reps == 3
    assert prior.mean == pytest.approx(34 / 92)
    frame = shrink_rates(wins, trials)
    assert frame["shrunk"].tolist() == pytest.approx([34 / 92] * 3)


def test_rep_without_trials_gets_the_prior() -> None:
    hits, at_bats = baseball()
    frame = shrink_rates(pd.concat([hits, pd.Series({"new": 0})]), [*at_bats, 0])
    prior = frame.attrs["prior"]
    assert frame["prior_only"].tolist() == [False] * 18 + [True]
    assert math.isnan(frame["rate"].iloc[-1]) and math.isnan(frame["rate_low"].iloc[-1])
    assert frame["shrunk"].iloc[-1] == pytest.approx(prior.mean)
    assert (frame["shrunk_low"].iloc[-1], frame["shrunk_high"].iloc[-1]) == pytest.approx(
        prior.interval()
    )
    assert frame.index[-1] == "new"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda t: (min(t), max(t))),
        min_size=1,
        max_size=12,
    )
)
def test_shrunk_lies_between_raw_rate_and_prior_mean(pairs: list[tuple[int, int]]) -> None:
    wins, trials = np.array(pairs).T
    frame = shrink_rates(wins, trials)
    centre = frame.attrs["prior"].mean
    raw = frame["rate"].fillna(centre)
    low, high = np.minimum(raw, centre), np.maximum(raw, centre)
    shrunk = frame["shrunk"]
    if math.isnan(centre):
        assert shrunk.isna().all()
    else:
        assert ((shrunk >= low - 1e-12) & (shrunk <= high + 1e-12)).all()


@pytest.mark.parametrize(
    ("successes", "trials", "message"),
    [
        ([3, 5], [4, 4], "successes must not exceed trials"),
        ([-1, 2], [4, 4], "successes must not be negative"),
        ([1, 2], [4, -4], "trials must not be negative"),
        ([1, 2], [4, 4, 4], "successes has 2 values, trials has 3"),
        ([1.5, 2], [4, 4], "successes must be whole counts"),
        ([np.nan, 2], [4, 4], "successes must be finite"),
    ],
)
def test_counts_are_validated(successes: list[float], trials: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shrink_rates(successes, trials)


def test_team_rate_is_validated() -> None:
    with pytest.raises(ValueError, match="team_rate"):
        shrink_rates([1], [2], team_rate=1.5)


# --- shrink_means --------------------------------------------------------------------------


def test_normal_normal_by_hand() -> None:
    """Three reps, 4 observations each, s² = 4: v = 1, w = 1.  Fixed-effect mean 20,
    Q = 100 + 0 + 100 = 200, τ² = (200 − 2) / (3 − 3/3) = 99, μ = 20; rep 1 shrinks to
    (99 · 10 + 1 · 20) / 100 = 10.1 with posterior sd sqrt(99/100)."""
    frame = shrink_means(
        pd.Series([10.0, 20.0, 30.0], index=["a", "b", "c"]), [4, 4, 4], [4.0, 4.0, 4.0]
    )
    prior = frame.attrs["prior"]
    assert (prior.mean, prior.tau2) == pytest.approx((20.0, 99.0), rel=1e-12)
    assert (prior.pooled, prior.reps) == (False, 3)
    assert frame["shrunk"].tolist() == pytest.approx([10.1, 20.0, 29.9])
    half = stats.norm.ppf(0.975) * math.sqrt(0.99)
    assert frame.loc["a", "shrunk_low"] == pytest.approx(10.1 - half)
    assert frame.loc["a", "shrunk_high"] == pytest.approx(10.1 + half)
    # raw: 10 ± t(3) · sqrt(4/4)
    assert frame.loc["a", "mean_low"] == pytest.approx(10 - stats.t.ppf(0.975, 3))
    # team mean 20: P(θ_c > 20) with θ_c ~ N(29.9, 0.99)
    assert frame.loc["c", "p_above_team"] == pytest.approx(stats.norm.sf(20, 29.9, 0.99**0.5))
    assert frame.loc["b", "p_above_team"] == pytest.approx(0.5)
    assert list(frame.columns) == [
        "mean",
        "mean_low",
        "mean_high",
        "count",
        "shrunk",
        "shrunk_low",
        "shrunk_high",
        "p_above_team",
        "prior_only",
    ]


def test_normal_normal_complete_pooling() -> None:
    # v = 1 each, Q = 1 + 0 + 1 = 2 = k − 1 -> τ² = 0: everyone is the mean 11 ± z/sqrt(3)
    frame = shrink_means([10.0, 11.0, 12.0], [4, 4, 4], [4.0, 4.0, 4.0])
    prior = frame.attrs["prior"]
    assert prior.pooled and prior.tau2 == 0.0 and prior.mean == pytest.approx(11.0)
    assert frame["shrunk"].tolist() == pytest.approx([11.0] * 3)
    assert frame["shrunk_high"].tolist() == pytest.approx([11 + stats.norm.ppf(0.975) / 3**0.5] * 3)
    assert frame["p_above_team"].isna().all()


def test_normal_normal_single_observation_and_empty_rep() -> None:
    # pooled within variance (3·4 + 3·8)/6 = 6 for the rep with one observation; v = 1, 2, 6
    frame = shrink_means([10.0, 20.0, 40.0, np.nan], [4, 4, 1, 0], [4.0, 8.0, np.nan, np.nan])
    prior = frame.attrs["prior"]
    assert prior.reps == 3 and not prior.pooled
    assert frame.loc[2, "mean_high"] == pytest.approx(40 + stats.norm.ppf(0.975) * 6**0.5)
    assert frame.loc[2, "shrunk"] == pytest.approx(
        (prior.tau2 * 40 + 6 * prior.mean) / (prior.tau2 + 6)
    )
    assert frame["prior_only"].tolist() == [False, False, False, True]
    assert math.isnan(frame.loc[3, "mean"])
    assert frame.loc[3, "shrunk"] == pytest.approx(prior.mean)
    assert frame.loc[3, "shrunk_high"] - prior.mean == pytest.approx(
        stats.norm.ppf(0.975) * prior.tau2**0.5
    )


def test_shrink_means_validates() -> None:
    with pytest.raises(ValueError, match="means, counts, variances have 2, 3, 3"):
        shrink_means([1.0, 2.0], [1, 2, 3], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="counts must be non-negative"):
        shrink_means([1.0], [-1], [1.0])
    with pytest.raises(ValueError, match="variances must not be negative"):
        shrink_means([1.0], [2], [-1.0])
    with pytest.raises(ValueError, match="means must be finite"):
        shrink_means([np.nan], [2], [1.0])
