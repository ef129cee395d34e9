"""Per-rep rates and means, raw and shrunk towards the team (METRICS.md "Rep performance").

A rep with 3 deals and 3 wins is not a better seller than one with 60 wins out of 100.  The raw
rate gets a 95 % Wilson interval; the *shrunk* rate is the empirical-Bayes posterior mean
(methods.md §3): a beta prior fitted by maximum likelihood over the team's reps (beta-binomial
marginal likelihood), one Beta posterior per rep, its mean, its 95 % equal-tailed credible
interval and ``P(rate > team rate)``.  Means (average won amount, cycle days, satisfaction)
get the normal–normal analogue with a DerSimonian–Laird between-rep variance.

Conventions a caller relies on:

* a rate or mean over no observation is NaN, never 0;
* *complete pooling* (the reps differ no more than chance explains: between-rep variance ≤ 0,
  or the likelihood maximum runs off to an infinitely concentrated prior, or fewer than two
  reps with data) is reported with ``prior.pooled``; then every rep's shrunk value is the
  pooled team value, its interval the team's, and ``p_above_team`` is NaN;
* a rep without any observation gets the prior (``prior_only`` True), so the UI can say so;
* the prior used is attached as ``frame.attrs["prior"]`` (:class:`BetaPrior` or
  :class:`NormalPrior`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

__all__ = [
    "BetaPrior",
    "NormalPrior",
    "clopper_pearson_interval",
    "fit_beta_prior",
    "james_stein",
    "shrink_means",
    "shrink_rates",
    "wilson_interval",
]

#: A fitted prior with α + β above this is a point mass: complete pooling.
MAX_CONCENTRATION = 1e6

_RATE_COLUMNS = [
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
_MEAN_COLUMNS = [
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


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(``alpha``, ``beta``) prior for the reps' rates.

    ``mean`` is the prior mean; with ``pooled`` (complete pooling) the prior is a point mass at
    ``mean`` (the pooled team rate Σw/Σn) and ``alpha``/``beta`` are NaN.  ``reps`` is the
    number of reps with trials it was fitted on.
    """

    alpha: float
    beta: float
    mean: float
    pooled: bool
    reps: int

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """The prior's equal-tailed interval (``(mean, mean)`` under complete pooling)."""
        if self.pooled:
            return self.mean, self.mean
        tail = (1.0 - _check_confidence(confidence)) / 2.0
        low, high = stats.beta.ppf([tail, 1.0 - tail], self.alpha, self.beta)
        return float(low), float(high)


@dataclass(frozen=True)
class NormalPrior:
    """A Normal(``mean``, ``tau2``) prior for the reps' true means.

    ``pooled`` (complete pooling: ``tau2`` = 0) means every rep is the team's precision-weighted
    mean; ``reps`` is the number of reps with observations it was fitted on.
    """

    mean: float
    tau2: float
    pooled: bool
    reps: int


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return confidence


def _index_of(*values: ArrayLike) -> pd.Index | None:
    for value in values:
        if isinstance(value, pd.Series):
            return value.index
    return None


def _floats(values: ArrayLike) -> np.ndarray:
    array: np.ndarray = np.asarray(values, dtype="float64").reshape(-1)
    return array


def _counts(successes: ArrayLike, trials: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Successes and trials as float arrays, checked: same length, whole, 0 ≤ w ≤ n."""
    wins, n = _floats(successes), _floats(trials)
    if len(wins) != len(n):
        raise ValueError(f"successes has {len(wins)} values, trials has {len(n)}")
    for name, array in (("successes", wins), ("trials", n)):
        if not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite counts (no NaN)")
        if (array < 0).any():
            raise ValueError(f"{name} must not be negative")
        if (array != np.round(array)).any():
            raise ValueError(f"{name} must be whole counts")
    if (wins > n).any():
        raise ValueError("successes must not exceed trials")
    return wins, n


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + _check_confidence(confidence) / 2.0))


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of the rates ``successes / trials`` (vectorised).

    Parameters
    ----------
    successes, trials : array-like of int
        Counts per rep, ``0 ≤ successes ≤ trials``.
    confidence : float
        Coverage, in (0, 1).

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper bounds in [0, 1]; NaN where ``trials`` is 0.

    Examples
    --------
    >>> low, high = wilson_interval([7, 0, 0], [10, 5, 0])
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.3968, 0.0, nan], [0.8922, 0.4345, nan])
    """
    wins, n = _counts(successes, trials)
    z2 = _z(confidence) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        p = wins / n
        denominator = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denominator
        half = np.sqrt(z2 * (p * (1.0 - p) / n + z2 / (4.0 * n * n))) / denominator
    empty = n == 0
    low = np.where(empty, np.nan, np.clip(centre - half, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(centre + half, 0.0, 1.0))
    return low, high


def clopper_pearson_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson ("exact", conservative) interval of ``successes / trials``.

    Parameters and returns as :func:`wilson_interval` (NaN where ``trials`` is 0).

    Examples
    --------
    >>> low, high = clopper_pearson_interval([7], [10])
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.3475, 0.9333)
    """
    wins, n = _counts(successes, trials)
    tail = (1.0 - _check_confidence(confidence)) / 2.0
    with np.errstate(invalid="ignore"):
        low = np.where(wins > 0, stats.beta.ppf(tail, wins, n - wins + 1.0), 0.0)
        high = np.where(wins < n, stats.beta.ppf(1.0 - tail, wins + 1.0, n - wins), 1.0)
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def _beta_binomial_fit(wins: np.ndarray, n: np.ndarray, start: float, mean: float) -> np.ndarray:
    """(α, β) maximising the beta-binomial likelihood, from ``α + β = start`` at ``mean``."""
    failures = n - wins

    def loss(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = np.exp(log_params)
        value = special.betaln(wins + a, failures + b) - special.betaln(a, b)
        shared = special.digamma(a + b) - special.digamma(n + a + b)
        grad_a = special.digamma(wins + a) - special.digamma(a) + shared
        grad_b = special.digamma(failures + b) - special.digamma(b) + shared
        return -float(value.sum()), -np.array([a * grad_a.sum(), b * grad_b.sum()])

    x0 = np.log([mean * start, (1.0 - mean) * start])
    bounds = [(np.log(1e-8), np.log(1e9))] * 2
    result = optimize.minimize(
        loss, x0, jac=True, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15}
    )
    params: np.ndarray = np.exp(result.x)
    return params


def fit_beta_prior(successes: ArrayLike, trials: ArrayLike) -> BetaPrior:
    """Empirical-Bayes beta prior of the reps' rates, by maximum likelihood (methods.md §3).

    Maximises ``Σ_i [ln B(w_i+α, n_i−w_i+β) − ln B(α, β)]`` over the reps with trials (L-BFGS-B
    on ``(log α, log β)`` with the analytic gradient), started from the method of moments:
    ``m`` = mean raw rate, ``v_b = var(p̂_i) − mean(m(1−m)/n_i)`` (sample variance, ``ddof=1``),
    ``α + β = m(1−m)/v_b − 1``.

    Parameters
    ----------
    successes, trials : array-like of int
        Counts per rep (reps with 0 trials are ignored).

    Returns
    -------
    BetaPrior
        Complete pooling (``pooled`` True, ``alpha``/``beta`` NaN, ``mean`` = Σw/Σn, NaN
        without any trial) when fewer than two reps have trials, when ``v_b ≤ 0`` or when the
        maximum has ``α + β`` above :data:`MAX_CONCENTRATION`.

    Examples
    --------
    >>> fit_beta_prior([5, 5, 5], [10, 10, 10])
    BetaPrior(alpha=nan, beta=nan, mean=0.5, pooled=True, reps=3)
    >>> prior = fit_beta_prior([1, 9, 2, 8], [10, 10, 10, 10])
    >>> prior.pooled, round(prior.mean, 3)
    (False, 0.5)
    """
    wins, n = _counts(successes, trials)
    has = n > 0
    wins, n = wins[has], n[has]
    reps = len(n)
    pooled_mean = float(wins.sum() / n.sum()) if reps else np.nan
    pooled = BetaPrior(np.nan, np.nan, pooled_mean, True, reps)
    if reps < 2:
        return pooled
    rates = wins / n
    m = float(rates.mean())
    between = float(rates.var(ddof=1) - np.mean(m * (1.0 - m) / n))
    if between <= 0.0:
        return pooled
    start = max(m * (1.0 - m) / between - 1.0, 1.0)
    a, b = _beta_binomial_fit(wins, n, start, m)
    if a + b > MAX_CONCENTRATION:
        return pooled
    return BetaPrior(float(a), float(b), float(a / (a + b)), False, reps)


def shrink_rates(
    successes: ArrayLike,
    trials: ArrayLike,
    prior: BetaPrior | None = None,
    team_rate: float | None = None,
) -> pd.DataFrame:
    """Raw and shrunk rates per rep (METRICS.md "Rep performance", shrunk win rate).

    Parameters
    ----------
    successes, trials : array-like or Series of int
        Counts per rep (e.g. won and closed deals); a Series' index becomes the result's.
    prior : BetaPrior, optional
        Default :func:`fit_beta_prior` on these counts.
    team_rate : float, optional
        The rate ``p_above_team`` compares with; default Σw/Σn of these reps.

    Returns
    -------
    DataFrame
        ``successes``, ``trials`` int; ``rate`` (w/n, NaN for 0 trials), ``rate_low``,
        ``rate_high`` (95 % Wilson); ``shrunk`` (posterior mean ``(w+α)/(n+α+β)``),
        ``shrunk_low``, ``shrunk_high`` (95 % equal-tailed credible interval of
        Beta(α+w, β+n−w)); ``p_above_team`` (``P(rate > team_rate)`` under the posterior);
        ``prior_only`` bool (no trial: the rep's values are the prior's).  Under complete
        pooling ``shrunk`` is ``prior.mean`` (the team rate when the prior was fitted here),
        the interval that of the pooled team, Beta(Σw+½, Σn−Σw+½), and ``p_above_team`` NaN.
        ``attrs["prior"]`` holds the prior.

    Examples
    --------
    >>> frame = shrink_rates([4], [6], prior=BetaPrior(2.0, 3.0, 0.4, False, 5))
    >>> float(frame["shrunk"].iloc[0]) == 6 / 11
    True
    """
    index = _index_of(successes, trials)
    wins, n = _counts(successes, trials)
    prior = fit_beta_prior(wins, n) if prior is None else prior
    team = float(wins.sum() / n.sum()) if n.sum() > 0 else np.nan
    if team_rate is not None:
        team = float(team_rate)
        if not 0.0 <= team <= 1.0:
            raise ValueError(f"team_rate must be in [0, 1], got {team_rate}")
    rate = np.where(n > 0, wins / np.where(n > 0, n, 1.0), np.nan)
    rate_low, rate_high = wilson_interval(wins, n)
    if prior.pooled:
        shape_a, shape_b = wins.sum() + 0.5, n.sum() - wins.sum() + 0.5
        low, high = stats.beta.ppf([0.025, 0.975], shape_a, shape_b)
        shrunk = np.full(len(n), prior.mean)
        shrunk_low, shrunk_high = np.full(len(n), low), np.full(len(n), high)
        above = np.full(len(n), np.nan)
    else:
        shape_a, shape_b = prior.alpha + wins, prior.beta + n - wins
        shrunk = shape_a / (shape_a + shape_b)
        shrunk_low = stats.beta.ppf(0.025, shape_a, shape_b)
        shrunk_high = stats.beta.ppf(0.975, shape_a, shape_b)
        above = stats.beta.sf(team, shape_a, shape_b)
    frame = pd.DataFrame(
        dict(
            zip(
                _RATE_COLUMNS,
                [wins.astype(np.int64), n.astype(np.int64), rate, rate_low, rate_high, shrunk]
                + [shrunk_low, shrunk_high, above, n == 0],
                strict=True,
            )
        ),
        index=index,
    )
    frame.attrs["prior"] = prior
    return frame


def _pooled_within(counts: np.ndarray, variances: np.ndarray) -> float:
    usable = (counts >= 2) & np.isfinite(variances)
    dof = (counts[usable] - 1.0).sum()
    return float((counts[usable] - 1.0) @ variances[usable] / dof) if dof > 0 else np.nan


def shrink_means(
    means: ArrayLike,
    counts: ArrayLike,
    variances: ArrayLike,
    team_mean: float | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Raw and shrunk means per rep: the normal–normal model with a DerSimonian–Laird prior.

    Rep i has the sample mean ``x̄_i`` of ``n_i`` observations with sample variance ``s_i²``;
    its sampling variance is ``v_i = s_i²/n_i``, where ``s_i²`` that is NaN (``n_i = 1``) or 0
    (a few identical values are no certainty) is replaced by the pooled within-rep variance
    ``Σ(n_i−1)s_i² / Σ(n_i−1)``.  The between-rep variance is the DerSimonian–Laird
    (method-of-moments) estimate ``τ² = (Q − (k−1)) / (Σw − Σw²/Σw)``, ``w_i = 1/v_i``, ``Q``
    the weighted squared deviations from the fixed-effect mean; the prior mean ``μ`` is the
    random-effects mean ``Σ x̄_i/(v_i+τ²) / Σ 1/(v_i+τ²)``.  The posterior of rep i is normal
    with mean ``(τ² x̄_i + v_i μ)/(τ² + v_i)`` and variance ``τ² v_i/(τ² + v_i)``.

    Parameters
    ----------
    means : array-like or Series of float
        Sample mean per rep (NaN when the count is 0).
    counts : array-like of int
        Observations per rep.
    variances : array-like of float
        Sample variance (``ddof=1``) per rep; NaN where the count is below 2.
    team_mean : float, optional
        What ``p_above_team`` compares with; default the mean over all observations
        ``Σ n_i x̄_i / Σ n_i``.
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    DataFrame
        ``mean``, ``mean_low``, ``mean_high`` (raw: ``x̄ ± t·sqrt(v_i)``, t on ``n_i − 1``
        degrees of freedom, normal for ``n_i = 1``), ``count`` int, ``shrunk``,
        ``shrunk_low``, ``shrunk_high`` (normal posterior interval), ``p_above_team``
        (posterior ``P(true mean > team_mean)``), ``prior_only`` (count 0: the prior).
        Complete pooling (``τ² ≤ 0`` or fewer than two reps with a usable variance): every
        ``shrunk`` is the fixed-effect mean, the interval its ``± z/sqrt(Σw)``, and
        ``p_above_team`` NaN.  ``attrs["prior"]`` holds the :class:`NormalPrior`.

    Examples
    --------
    >>> frame = shrink_means([10.0, 20.0, 30.0], [4, 4, 4], [4.0, 4.0, 4.0])
    >>> prior = frame.attrs["prior"]
    >>> round(prior.mean, 9), round(prior.tau2, 9), prior.pooled, prior.reps
    (20.0, 99.0, False, 3)
    >>> frame["shrunk"].round(2).tolist()
    [10.1, 20.0, 29.9]
    """
    index = _index_of(means, counts, variances)
    x, n, s2 = _floats(means), _floats(counts), _floats(variances)
    if not len(x) == len(n) == len(s2):
        raise ValueError(f"means, counts, variances have {len(x)}, {len(n)}, {len(s2)} values")
    if not np.isfinite(n).all() or (n < 0).any() or (n != np.round(n)).any():
        raise ValueError("counts must be non-negative whole counts")
    if (s2 < 0).any():
        raise ValueError("variances must not be negative")
    if not np.isfinite(x[n > 0]).all():
        raise ValueError("means must be finite where the count is positive")
    z = _z(confidence)
    s2 = np.where(np.isfinite(s2) & (s2 > 0), s2, _pooled_within(n, s2))
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(n > 0, s2 / n, np.nan)
        fit = (n > 0) & np.isfinite(v) & (v > 0)
        w = np.where(fit, 1.0 / v, 0.0)
        x0 = np.where(fit, x, 0.0)
        fixed = float(w @ x0 / w.sum()) if fit.any() else np.nan
        k = int(fit.sum())
        q = float(w @ (x0 - fixed) ** 2) if k else np.nan
        tau2 = (q - (k - 1)) / (w.sum() - (w @ w) / w.sum()) if k >= 2 else 0.0
        raw_q = np.where(n > 1, stats.t.ppf(0.5 + confidence / 2.0, n - 1.0), z)
        raw_half = raw_q * np.sqrt(v)
    team = float(n @ np.where(n > 0, x, 0.0) / n.sum()) if n.sum() > 0 else np.nan
    team = team if team_mean is None else float(team_mean)
    if tau2 <= 0.0:
        prior = NormalPrior(fixed, 0.0, True, k)
        shrunk = np.full(len(n), fixed)
        half = np.full(len(n), z / np.sqrt(w.sum()) if k else np.nan)
        above = np.full(len(n), np.nan)
    else:
        re_w = np.where(fit, 1.0 / (v + tau2), 0.0)
        mu = float(re_w @ x0 / re_w.sum())
        prior = NormalPrior(mu, float(tau2), False, k)
        # weight of the rep's own mean, τ²/(τ² + v_i); 0 without observation (the prior)
        weight = np.where(n > 0, tau2 / (tau2 + v), 0.0)
        shrunk = mu + weight * (np.where(n > 0, x, mu) - mu)
        sd = np.sqrt(tau2 * (1.0 - weight))
        half = z * sd
        above = stats.norm.sf(team, shrunk, sd)
    mean = np.where(n > 0, x, np.nan)
    frame = pd.DataFrame(
        dict(
            zip(
                _MEAN_COLUMNS,
                [mean, mean - raw_half, mean + raw_half, n.astype(np.int64), shrunk]
                + [shrunk - half, shrunk + half, above, n == 0],
                strict=True,
            )
        ),
        index=index,
    )
    frame.attrs["prior"] = prior
    return frame


def james_stein(successes: ArrayLike, trials: ArrayLike) -> tuple[float, float, np.ndarray]:
    """Positive-part James–Stein estimates of rates with equal trials (Efron & Morris 1977).

    ``c = max(0, 1 − (k−3)σ²/Σ(y_i−ȳ)²)`` with ``σ² = ȳ(1−ȳ)/n``; the estimates are
    ``ȳ + c(y − ȳ)``.  Kept as the published-oracle check of the shrinkage idea.

    Parameters
    ----------
    successes, trials : array-like of int
        Counts of k ≥ 4 reps, every one with the same positive number of trials.

    Returns
    -------
    (float, float, ndarray)
        The grand mean ``ȳ``, the shrinkage factor ``c`` and the estimates.

    Examples
    --------
    >>> grand, c, estimates = james_stein([2, 4, 6, 8], [10, 10, 10, 10])
    >>> round(grand, 2), round(c, 4)
    (0.5, 0.875)
    """
    wins, n = _counts(successes, trials)
    if len(n) < 4:
        raise ValueError(f"James–Stein needs at least 4 reps, got {len(n)}")
    if n[0] <= 0 or (n != n[0]).any():
        raise ValueError("James–Stein needs the same positive number of trials for every rep")
    y = wins / n
    grand = float(y.mean())
    spread = float(((y - grand) ** 2).sum())
    sigma2 = grand * (1.0 - grand) / n[0]
    c = max(0.0, 1.0 - (len(y) - 3) * float(sigma2) / spread) if spread > 0 else 0.0
    return grand, c, grand + c * (y - grand)
