"""Comparing reps fairly beyond one rate (METRICS.md "Rep performance").

* :func:`weak_spots` — the stage where a rep's next-step conversion is furthest below the rest
  of the team's, only where the gap is significant (one-sided test, Holm-corrected per rep);
* :func:`funnel_limits`, :func:`funnel_position` — the funnel plot's control limits around the
  team rate and where each rep falls;
* :func:`rank_ranges` — ranks with their uncertainty, drawn from each rep's posterior;
* :func:`quartile_activity_mix`, :func:`activities_per_won_deal` — what the best reps do.

Rates with a zero denominator are NaN, never 0.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from analytics.grouped import count_column, require_columns, safe_rates

__all__ = [
    "Z95",
    "Z998",
    "activities_per_won_deal",
    "funnel_limits",
    "funnel_position",
    "quartile_activity_mix",
    "rank_ranges",
    "weak_spots",
]

#: Two-sided normal quantiles of the funnel plot's 95 % and 99.8 % limits.
Z95 = 1.959964
Z998 = 3.090232

#: Fisher's exact test instead of the z-test when an expected cell is below this.
MIN_EXPECTED = 5.0

_WEAK_COLUMNS = ["rep_id", "stage", "position", "rep_rate", "team_rate", "entered", "gap"]
_WEAK_COLUMNS += ["p_value", "confidence", "significant"]


def _one_sided_p(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """P-values of H1 "rate 1 < rate 2": Fisher's exact test where an expected cell of the
    2×2 table is below :data:`MIN_EXPECTED`, else the pooled two-proportion z-test.
    """
    total, went = n1 + n2, x1 + x2
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.stack(
            [n1 * went, n1 * (total - went), n2 * went, n2 * (total - went)]
        ) / np.where(total > 0, total, 1.0)
        exact = (expected < MIN_EXPECTED).any(axis=0)
        # fisher_exact(alternative="less") on [[x1, n1 - x1], [x2, n2 - x2]]: the
        # hypergeometric lower tail of x1 (n1 draws from `total` with `went` successes)
        fisher = stats.hypergeom.cdf(x1, total, went, n1)
        pooled = went / total
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
        z_test = stats.norm.cdf((x1 / n1 - x2 / n2) / se)
    p: np.ndarray = np.where(exact, fisher, z_test)
    return np.where((n1 > 0) & (n2 > 0), p, np.nan)


def _holm(p: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values within each group (NaN p-values are not tests)."""
    frame = pd.DataFrame({"group": groups, "p": p}).dropna(subset=["p"])
    frame = frame.sort_values(["group", "p"], kind="stable")
    by_group = frame.groupby("group", sort=False)["p"]
    tests = by_group.transform("size").to_numpy()
    step = by_group.cumcount().to_numpy()
    scaled = pd.Series(np.minimum(1.0, (tests - step) * frame["p"].to_numpy()), frame.index)
    adjusted = scaled.groupby(frame["group"], sort=False).cummax()
    out = np.full(len(p), np.nan)
    out[adjusted.index.to_numpy()] = adjusted.to_numpy()
    return out


def weak_spots(
    steps: pd.DataFrame, *, team: pd.DataFrame | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Each rep's weak spot (METRICS.md "Rep performance", weak spot).

    At every stage the rep's next-step conversion ``went_on / entered`` is compared with that of
    the rest of the team (all other reps pooled) by a one-sided test of "the rep converts less":
    Fisher's exact test (``scipy.stats.fisher_exact(alternative="less")``, computed as the
    hypergeometric lower tail) when an expected cell of the 2×2 table is below 5, else the
    pooled two-proportion z-test.  The p-values of a rep's stages are Holm-corrected; the weak
    spot is the stage with the largest negative gap among the significant ones.

    Parameters
    ----------
    steps : DataFrame
        One row per (``rep_id``, ``stage``): ``position`` (stage order), ``entered`` (the rep's
        deals that reached the stage, high-water mark), ``went_on`` (of those, reached the
        next stage).
    team : DataFrame, optional
        Per stage ``position``, ``entered``, ``went_on`` of the *whole* team, the rep included,
        for a caller that sees only some reps' rows; default the sums over ``steps``.  The rest
        of the team is ``team − rep``.
    alpha : float
        Significance level of the Holm-adjusted p-values.

    Returns
    -------
    DataFrame
        One row per rep (sorted by ``rep_id``): ``rep_id``, ``stage``, ``position``,
        ``rep_rate``, ``team_rate`` (the rest of the team's rate), ``entered`` (the rep's),
        ``gap`` (rep − rest), ``p_value`` (Holm-adjusted), ``confidence`` (1 − ``p_value``),
        ``significant``.  A rep without a significant gap has ``stage`` None, ``significant``
        False and NaN elsewhere.

    Examples
    --------
    >>> steps = pd.DataFrame({"rep_id": [1, 2], "stage": ["Proposal", "Proposal"],
    ...                       "position": [3, 3], "entered": [50, 200], "went_on": [10, 140]})
    >>> weak_spots(steps)[["rep_id", "stage", "rep_rate", "team_rate", "significant"]]
       rep_id     stage  rep_rate  team_rate  significant
    0       1  Proposal       0.2        0.7         True
    1       2      None       NaN        NaN        False
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    require_columns(steps, ["rep_id", "stage", "position", "entered", "went_on"], "steps")
    entered = count_column(steps, "entered").astype(float)
    went_on = count_column(steps, "went_on").astype(float)
    if (went_on > entered).any():
        raise ValueError("went_on must not exceed entered")
    if steps.duplicated(["rep_id", "position"]).any():
        raise ValueError("steps has more than one row per (rep_id, position)")
    position = steps["position"].to_numpy(dtype="float64", na_value=np.nan)
    if team is None:
        totals = pd.DataFrame({"entered": entered, "went_on": went_on}).groupby(position).sum()
    else:
        require_columns(team, ["position", "entered", "went_on"], "team")
        if team["position"].duplicated().any():
            raise ValueError("team has more than one row per position")
        totals = pd.DataFrame(
            {"entered": count_column(team, "entered"), "went_on": count_column(team, "went_on")},
            index=team["position"].to_numpy(dtype="float64", na_value=np.nan),
        )
        if not pd.Index(position).isin(totals.index).all():
            raise ValueError("team lacks a position that steps has")
    rest_entered = totals["entered"].reindex(position).to_numpy(dtype=float) - entered
    rest_went_on = totals["went_on"].reindex(position).to_numpy(dtype=float) - went_on
    if (rest_entered < 0).any() or (rest_went_on < 0).any() or (rest_went_on > rest_entered).any():
        raise ValueError("team totals are smaller than a rep's own counts")
    rep_rate = safe_rates(went_on, entered)
    team_rate = safe_rates(rest_went_on, rest_entered)
    p_value = _holm(
        _one_sided_p(went_on, entered, rest_went_on, rest_entered), steps["rep_id"].to_numpy()
    )
    rows = pd.DataFrame(
        {
            "rep_id": steps["rep_id"].to_numpy(),
            "stage": steps["stage"].to_numpy(dtype=object),
            "position": position,
            "rep_rate": rep_rate,
            "team_rate": team_rate,
            "entered": entered,
            "gap": rep_rate - team_rate,
            "p_value": p_value,
        }
    )
    rows["confidence"] = 1.0 - rows["p_value"]
    rows["significant"] = (rows["p_value"] < alpha) & (rows["gap"] < 0)
    worst = rows[rows["significant"]].sort_values(["rep_id", "gap", "position"], kind="stable")
    worst = worst.drop_duplicates("rep_id")
    reps = pd.DataFrame({"rep_id": pd.unique(steps["rep_id"])}).sort_values("rep_id")
    result = reps.merge(worst, on="rep_id", how="left").reset_index(drop=True)
    result["stage"] = result["stage"].astype(object).where(result["significant"].notna(), None)
    result["significant"] = result["significant"].fillna(False).astype(bool)
    return result[_WEAK_COLUMNS]


def _limits(team_rate: float, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(team_rate * (1.0 - team_rate) / n)
    return np.clip(team_rate - half, 0.0, 1.0), np.clip(team_rate + half, 0.0, 1.0)


def _check_rate(team_rate: float) -> float:
    rate = float(team_rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"team_rate must be in [0, 1], got {team_rate}")
    return rate


def funnel_limits(team_rate: float, max_n: int, points: int = 200) -> pd.DataFrame:
    """Control limits of the funnel plot (METRICS.md "Rep performance", funnel plot).

    ``p̄ ± z·sqrt(p̄(1−p̄)/n)`` for ``z`` = :data:`Z95` and :data:`Z998`, clipped to [0, 1].

    Parameters
    ----------
    team_rate : float
        The team rate ``p̄``, in [0, 1].
    max_n : int
        The largest sample size to draw (≥ 1).
    points : int
        Points of the geometric grid from 1 to ``max_n``; the integers up to 20 are added so the
        curve is smooth where it bends most.

    Returns
    -------
    DataFrame
        ``n`` float (ascending, from 1 to ``max_n``), ``low95``, ``high95``, ``low998``,
        ``high998``.

    Examples
    --------
    >>> limits = funnel_limits(0.6, 100)
    >>> limits.iloc[-1].round(4).tolist()
    [100.0, 0.504, 0.696, 0.4486, 0.7514]
    """
    rate = _check_rate(team_rate)
    if int(max_n) != max_n or max_n < 1:
        raise ValueError(f"max_n must be a whole number ≥ 1, got {max_n}")
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    grid = np.geomspace(1.0, float(max_n), points)
    n = np.unique(np.concatenate([grid, np.arange(1.0, min(max_n, 20) + 1.0)]))
    low95, high95 = _limits(rate, n, Z95)
    low998, high998 = _limits(rate, n, Z998)
    return pd.DataFrame(
        {"n": n, "low95": low95, "high95": high95, "low998": low998, "high998": high998}
    )


def funnel_position(rates: ArrayLike, trials: ArrayLike, team_rate: float) -> pd.Series:
    """Where each rep's rate falls on the funnel plot.

    Parameters
    ----------
    rates, trials : array-like or Series
        Raw rate and sample size per rep (a Series' index is kept).
    team_rate : float
        The funnel's centre.

    Returns
    -------
    Series of object
        ``'above998'``, ``'above95'``, ``'inside'``, ``'below95'`` or ``'below998'`` (strictly
        outside a limit to be above or below it); None where the rate or the trials are
        missing or the trials are 0.

    Examples
    --------
    >>> funnel_position([0.9, 0.72, 0.6, 0.44, float("nan")], [100, 100, 100, 100, 0], 0.6)
    0    above998
    1     above95
    2      inside
    3    below998
    4        None
    dtype: object
    """
    rate_team = _check_rate(team_rate)
    index = next((v.index for v in (rates, trials) if isinstance(v, pd.Series)), None)
    p = np.asarray(rates, dtype="float64").reshape(-1)
    n = np.asarray(trials, dtype="float64").reshape(-1)
    if len(p) != len(n):
        raise ValueError(f"rates has {len(p)} values, trials has {len(n)}")
    low95, high95 = _limits(rate_team, n, Z95)
    low998, high998 = _limits(rate_team, n, Z998)
    labels = np.select(
        [p > high998, p > high95, p < low998, p < low95],
        ["above998", "above95", "below998", "below95"],
        "inside",
    ).astype(object)
    labels[~(np.isfinite(p) & np.isfinite(n) & (n > 0))] = None
    return pd.Series(labels, index=index, dtype=object)


def rank_ranges(
    alpha_post: ArrayLike,
    beta_post: ArrayLike,
    *,
    family: Literal["beta", "normal"] = "beta",
    higher_is_better: bool = True,
    draws: int = 4000,
    seed: int = 0,
    interval: float = 0.9,
) -> pd.DataFrame:
    """Ranks of the reps with their uncertainty, by simulation from their posteriors.

    Each draw takes one value per rep from its posterior and ranks the reps (1 = best); the
    ``interval`` range of a rep's drawn ranks says how sure its place is.

    Parameters
    ----------
    alpha_post, beta_post : array-like or Series of float
        Posterior parameters per rep: Beta(α, β) shapes for ``family="beta"`` (> 0), normal
        mean and standard deviation (≥ 0) for ``family="normal"``.  A rep with a NaN
        parameter is not ranked.
    family : {"beta", "normal"}
        The posteriors' distribution.
    higher_is_better : bool
        False ranks the lowest value first (e.g. cycle days).
    draws, seed : int
        Number of draws and the seed of the ``numpy`` generator (reproducible).
    interval : float
        Coverage of the rank range, in (0, 1).

    Returns
    -------
    DataFrame
        Index of ``alpha_post`` (a Series) or 0..k−1: ``rank`` (of the posterior mean, ties
        get the best rank), ``rank_low``, ``rank_high`` (the ``interval`` quantiles of the
        drawn ranks), ``p_top`` (share of draws in which the rep ranks 1); ``Int64`` ranks,
        missing (and ``p_top`` NaN) for unranked reps.

    Examples
    --------
    >>> rank_ranges([90, 50, 10], [10, 50, 90])[["rank", "rank_low", "rank_high"]]
       rank  rank_low  rank_high
    0     1         1          1
    1     2         2          2
    2     3         3          3
    """
    index = next((v.index for v in (alpha_post, beta_post) if isinstance(v, pd.Series)), None)
    a = np.asarray(alpha_post, dtype="float64").reshape(-1)
    b = np.asarray(beta_post, dtype="float64").reshape(-1)
    if len(a) != len(b):
        raise ValueError(f"alpha_post has {len(a)} values, beta_post has {len(b)}")
    if family not in ("beta", "normal"):
        raise ValueError(f"family must be 'beta' or 'normal', got {family!r}")
    if draws < 1 or not 0.0 < interval < 1.0:
        raise ValueError("draws must be ≥ 1 and interval in (0, 1)")
    ok = np.isfinite(a) & np.isfinite(b)
    if family == "beta" and ((a[ok] <= 0).any() or (b[ok] <= 0).any()):
        raise ValueError("Beta posterior parameters must be positive")
    if family == "normal" and (b[ok] < 0).any():
        raise ValueError("normal posterior standard deviations must not be negative")
    rng = np.random.default_rng(seed)
    size = (draws, int(ok.sum()))
    if family == "beta":
        sample, centre = rng.beta(a[ok], b[ok], size=size), a[ok] / (a[ok] + b[ok])
    else:
        sample, centre = rng.normal(a[ok], b[ok], size=size), a[ok]
    sign = -1.0 if higher_is_better else 1.0
    drawn = np.argsort(np.argsort(sign * sample, axis=1, kind="stable"), axis=1) + 1
    tail = (1.0 - interval) / 2.0
    rank = pd.Series(sign * centre).rank(method="min").to_numpy()
    if size[1]:
        bounds = np.quantile(drawn, [tail, 1.0 - tail], axis=0, method="inverted_cdf")
    else:
        bounds = np.empty((2, 0))
    out = pd.DataFrame(
        {
            "rank": pd.array(np.full(len(a), np.nan), dtype="Int64"),
            "rank_low": pd.array(np.full(len(a), np.nan), dtype="Int64"),
            "rank_high": pd.array(np.full(len(a), np.nan), dtype="Int64"),
            "p_top": np.full(len(a), np.nan),
        }
    )
    positions = np.flatnonzero(ok)
    for column, values in (("rank", rank), ("rank_low", bounds[0]), ("rank_high", bounds[1])):
        out.loc[positions, column] = values.astype(np.int64)
    out.loc[positions, "p_top"] = (drawn == 1).mean(axis=0)
    if index is not None:
        out.index = index
    return out


def quartile_activity_mix(activities: pd.DataFrame, score: pd.Series) -> pd.DataFrame:
    """The activity mix of the top and the bottom quartile of reps by ``score``.

    The top quartile is the reps with ``score ≥`` its 75th percentile, the bottom quartile
    those with ``score ≤`` its 25th (``Series.quantile``, linear interpolation); reps tied on
    a threshold are all in.  Reps without a score are left out.

    Parameters
    ----------
    activities : DataFrame
        ``rep_id``, ``type``, ``activities`` (count) per rep and activity type.
    score : Series
        Per rep (index ``rep_id``), e.g. the shrunk win rate.

    Returns
    -------
    DataFrame
        One row per ``quartile`` ('top', then 'bottom') and ``type`` (every type in
        ``activities``, sorted): ``activities`` int (the quartile's total), ``share`` (of the
        quartile's activities; NaN when it has none), ``per_rep`` (per rep of the quartile).
        Empty with fewer than 4 scored reps or when the quartiles meet (no spread).

    Examples
    --------
    >>> acts = pd.DataFrame({"rep_id": [1, 4], "type": ["call", "call"], "activities": [8, 2]})
    >>> quartile_activity_mix(acts, pd.Series([0.9, 0.5, 0.4, 0.1], index=[1, 2, 3, 4]))
      quartile  type  activities  share  per_rep
    0      top  call           8    1.0      8.0
    1   bottom  call           2    1.0      2.0
    """
    require_columns(activities, ["rep_id", "type", "activities"], "activities")
    counts = count_column(activities, "activities")
    columns = ["quartile", "type", "activities", "share", "per_rep"]
    scored = score.dropna()
    high, low = scored.quantile(0.75), scored.quantile(0.25)
    if len(scored) < 4 or not high > low:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    types = np.sort(activities["type"].dropna().unique())
    parts = []
    for name, members in (("top", scored[scored >= high]), ("bottom", scored[scored <= low])):
        mine = activities["rep_id"].isin(members.index).to_numpy()
        by_type = pd.Series(counts[mine]).groupby(activities["type"].to_numpy()[mine]).sum()
        total = by_type.reindex(types, fill_value=0).to_numpy(dtype=np.int64)
        parts.append(
            pd.DataFrame(
                {
                    "quartile": name,
                    "type": types,
                    "activities": total,
                    "share": safe_rates(total, np.full(len(total), total.sum())),
                    "per_rep": total / len(members),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[columns]


def activities_per_won_deal(activities_total: pd.Series, won: pd.Series) -> pd.Series:
    """Activities per won deal per rep (METRICS.md "Rep performance").

    Parameters
    ----------
    activities_total, won : Series
        Per rep (same kind of index); a rep missing from one counts 0 there.

    Returns
    -------
    Series of float
        ``activities / won`` on the union of the indexes; NaN where ``won`` is 0.

    Examples
    --------
    >>> activities_per_won_deal(pd.Series({1: 30, 2: 12}), pd.Series({1: 3, 2: 0}))
    1    10.0
    2     NaN
    dtype: float64
    """
    index = activities_total.index.union(won.index)
    acts = activities_total.reindex(index, fill_value=0).to_numpy(dtype="float64")
    wins = won.reindex(index, fill_value=0).to_numpy(dtype="float64")
    if (acts < 0).any() or (wins < 0).any():
        raise ValueError("activities and won must not be negative")
    return pd.Series(safe_rates(acts, wins), index=index)
