"""Kaplan–Meier survival curves and their quantiles, for right-censored durations.

METRICS.md "Time in stage": a visit still in its stage at ``as_of`` is *censored*; medians and
percentiles come from Kaplan–Meier, never from the finished visits only (that is biased short).

Conventions (the same as ``statsmodels.duration.survfunc.SurvfuncRight``):

* ``S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)`` over the distinct times ``t_i``, with ``d_i`` the
  (weighted) events at ``t_i`` and ``n_i`` the (weighted) durations ``≥ t_i`` (at risk);
* a duration censored at ``t`` is still at risk at ``t`` (events come before censoring on a tie);
* weights are frequency weights (a weight of 3 is the same as three identical rows).

Quantiles: ``q(p)`` is the smallest time ``t`` with ``S(t) ≤ 1 − p`` (Klein & Moeschberger;
``lifelines`` ``qth_survival_time``), NaN when the curve never gets that low (too many censored
durations).  ``SurvfuncRight.quantile`` uses the strict ``S(t) < 1 − p`` (SAS), which differs
only when the curve sits *exactly* on ``1 − p`` on a plateau (e.g. no censoring and an even
number of durations: statsmodels returns the upper middle value, this module the lower one).

Binned durations (the reports read durations binned down to 0.1 day in SQL, ``h`` below): a
bin's ended and censored durations all sit at its lower edge, events before censoring, so a
censored duration shorter than an ended one *in the same bin* still counts as at risk when
that one ends (with exact times it had already left).  Hence, for the quantile ``q_b`` of the
binned and ``q_e`` of the exact durations:

* ``q_b ≥ q_e − h`` always (the binned curve at a bin's edge is never below the exact curve at
  the bin's end), and ``q_b`` is missing whenever ``q_e`` is;
* without a censored duration that shares a bin with a longer ended one, ``q_b`` is ``q_e``
  rounded down to the bin (the curves agree at every bin's end);
* otherwise ``q_b`` can be later, until the curve with those censored durations at risk gets
  down to ``1 − p``: on thousands of visits by hundredths of a day, on a handful by days (three
  visits after 13 short ones — ended 32.32, censored 32.31, ended 33.75 days — give a p90 of
  33.7 binned and 32.32 exact).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analytics.grouped import (
    as_counts,
    by_columns,
    count_column,
    group_codes,
    require_columns,
    tally,
)

__all__ = [
    "km_summary",
    "quantile_name",
    "KM_COLUMNS",
    "kaplan_meier",
    "km_quantile",
    "km_quantiles",
]

#: Columns of :func:`kaplan_meier` (after ``group`` when curves are grouped).
KM_COLUMNS = ["time", "at_risk", "events", "censored", "survival"]

#: ``S(t) ≤ 1 − p`` is tested with this slack, so that a product of factors that is 0.5 in
#: exact arithmetic (e.g. 7/8 · 6/7 · 5/6 · 4/5) is not missed by a rounding error.  A genuine
#: step of a curve is at least ``S / n`` high, far more than this for any realistic ``n``.
_TOLERANCE = 1e-9


def _float_array(values: ArrayLike, name: str, size: int | None) -> np.ndarray:
    array = np.asarray(values, dtype="float64").reshape(-1)
    if size is not None and len(array) != size:
        raise ValueError(f"{name} has {len(array)} values, durations have {size}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite numbers (no NaN)")
    if (array < 0).any():
        raise ValueError(f"{name} must not be negative")
    return array


def _event_array(events: ArrayLike, size: int) -> np.ndarray:
    raw = np.asarray(events).reshape(-1)
    if len(raw) != size:
        raise ValueError(f"events has {len(raw)} values, durations have {size}")
    if raw.dtype == bool:
        return raw
    numeric = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy("float64")
    if not np.isin(numeric, (0.0, 1.0)).all():
        raise ValueError("events must be booleans or 0/1 (1 = the event was observed)")
    observed: np.ndarray = numeric == 1.0
    return observed


def kaplan_meier(
    durations: ArrayLike,
    events: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    groups: ArrayLike | None = None,
) -> pd.DataFrame:
    """Kaplan–Meier estimate of the survival function (METRICS.md "Time in stage").

    Parameters
    ----------
    durations : array-like of float
        Time of every observation (≥ 0; e.g. days in a stage).
    events : array-like of bool or 0/1
        True when the end was observed, False when the observation is censored (still
        running at ``as_of``).
    weights : array-like of float, optional
        Frequency weights (counts of identical observations, e.g. the ``visits`` column of an
        aggregated frame); rows with weight 0 are ignored.  Default 1 each.
    groups : array-like, optional
        A label per observation: one curve per label, computed at once (vectorised).

    Returns
    -------
    DataFrame
        One row per distinct time (per group): ``[group]``, ``time`` float, ``at_risk``,
        ``events``, ``censored`` float (weighted counts: durations ``≥ time``, events and
        censorings at ``time``), ``survival`` float (``S(time)``).  Ordered by group and
        time; empty when there is no observation with a positive weight.

    Raises
    ------
    ValueError
        For lengths that differ, NaN or negative durations or weights, events not 0/1.

    Examples
    --------
    The oracle of methods.md §1.2:

    >>> km = kaplan_meier([3, 5, 6, 7, 8, 10, 12, 12], [1, 0, 1, 1, 0, 1, 1, 0])
    >>> km["survival"].round(5).tolist()
    [0.875, 0.875, 0.72917, 0.58333, 0.58333, 0.38889, 0.19444]
    >>> km["at_risk"].tolist()
    [8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0]
    >>> km_quantile(km, 0.5)
    10.0
    """
    time = _float_array(durations, "durations", None)
    event = _event_array(events, len(time))
    weight = np.ones(len(time)) if weights is None else _float_array(weights, "weights", len(time))
    keep = weight > 0
    data: dict[str, np.ndarray] = {}
    keys = ["time"]
    if groups is not None:
        labels = np.asarray(groups).reshape(-1)
        if len(labels) != len(time):
            raise ValueError(f"groups has {len(labels)} values, durations have {len(time)}")
        data["group"] = labels[keep]
        keys = ["group", "time"]
    data["time"] = time[keep]
    data["events"] = np.where(event, weight, 0.0)[keep]
    data["censored"] = np.where(event, 0.0, weight)[keep]
    table = pd.DataFrame(data).groupby(keys, sort=True, dropna=False).sum().reset_index()
    total = table["events"] + table["censored"]
    if groups is None:
        # at risk at t_i = everything at t_i or later = the reversed cumulative sum
        table["at_risk"] = total.sum() - total.cumsum() + total
        table["survival"] = (1.0 - table["events"] / table["at_risk"]).cumprod()
    else:
        by_group = total.groupby(table["group"], sort=False, dropna=False)
        table["at_risk"] = by_group.transform("sum") - by_group.cumsum() + total
        factor = 1.0 - table["events"] / table["at_risk"]
        table["survival"] = factor.groupby(table["group"], sort=False, dropna=False).cumprod()
    columns = (["group"] if groups is not None else []) + KM_COLUMNS
    return table[columns].astype({c: "float64" for c in KM_COLUMNS})


def _check_probability(p: float) -> float:
    p = float(p)
    if not 0.0 < p <= 1.0:
        raise ValueError(f"a quantile's probability must be in (0, 1], got {p}")
    return p


def km_quantile(table: pd.DataFrame, p: float) -> float:
    """The ``p`` quantile of one Kaplan–Meier curve: smallest time with ``S(t) ≤ 1 − p``.

    Parameters
    ----------
    table : DataFrame
        One curve of :func:`kaplan_meier` (without groups).
    p : float
        In ``(0, 1]``; 0.5 is the median.

    Returns
    -------
    float
        The time; NaN when the curve never gets down to ``1 − p`` (the longest durations
        are censored) or the table is empty.

    Examples
    --------
    >>> km_quantile(kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]), 0.5)  # S(2) = 0.5 exactly
    2.0
    >>> km_quantile(kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0]), 0.5)  # S stays at 0.75
    nan
    """
    if "group" in table.columns and table["group"].nunique(dropna=False) > 1:
        raise ValueError("km_quantile takes one curve; use km_quantiles for grouped curves")
    p = _check_probability(p)
    reached = table["time"].to_numpy()[table["survival"].to_numpy() <= 1.0 - p + _TOLERANCE]
    return float(reached[0]) if len(reached) else float("nan")


def km_quantiles(table: pd.DataFrame, probs: Sequence[float]) -> pd.DataFrame:
    """Quantiles of every curve of a (grouped) :func:`kaplan_meier` table.

    Same rule as :func:`km_quantile`: the smallest time with ``S(t) ≤ 1 − p``, NaN when the
    curve never gets there.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`kaplan_meier`, with or without ``groups``.
    probs : sequence of float
        Probabilities in ``(0, 1]``.

    Returns
    -------
    DataFrame
        One row per curve (index: the group labels in the table's order, or ``[0]`` for an
        ungrouped non-empty table), one float column per probability (named by it).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 3, 9, 9], [1, 1, 1, 1, 0], groups=["a", "a", "a", "b", "b"])
    >>> km_quantiles(km, [0.5, 0.9]).to_dict("index")
    {'a': {0.5: 2.0, 0.9: 3.0}, 'b': {0.5: 9.0, 0.9: nan}}
    """
    probabilities = [_check_probability(p) for p in probs]
    if "group" in table.columns:
        labels = table["group"]
    else:
        labels = pd.Series(np.zeros(len(table), dtype=np.int64), index=table.index)
    index = pd.Index(labels.drop_duplicates(), name="group" if "group" in table.columns else None)
    survival = table["survival"].to_numpy()
    columns: dict[float, pd.Series] = {}
    for p in probabilities:  # a handful of probabilities; the groups are vectorised
        hit = survival <= 1.0 - p + _TOLERANCE
        first = table["time"][hit].groupby(labels[hit], sort=False, dropna=False).first()
        columns[p] = first.reindex(index).astype("float64")
    return pd.DataFrame(columns, index=index)


def quantile_name(p: float, suffix: str = "") -> str:
    """Column name of the ``p`` quantile: ``"median"`` for 0.5, else ``"p90"`` and the like.

    Examples
    --------
    >>> quantile_name(0.5, "_hours"), quantile_name(0.9)
    ('median_hours', 'p90')
    """
    return ("median" if p == 0.5 else f"p{100 * p:g}") + suffix


def km_summary(
    frame: pd.DataFrame,
    *,
    time: str,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    probs: Sequence[float] = (0.5,),
    suffix: str = "",
) -> pd.DataFrame:
    """Kaplan–Meier quantiles of waiting times per group (lead response, ticket resolution...).

    Parameters
    ----------
    frame : DataFrame
        ``time`` (float ≥ 0), ``censored`` bool (still waiting at ``as_of``), the optional
        count column ``weight`` (1 per row without it) and the ``by`` columns.
    time, weight : str
        Column names.
    by : str or sequence of str, optional
        Group columns (None: one row over everything).
    probs : sequence of float
        Quantiles, named by :func:`quantile_name` with ``suffix``.
    suffix : str
        Appended to the quantile columns' names (``"_hours"`` gives ``median_hours``).

    Returns
    -------
    DataFrame
        ``[by…]``, ``count``, ``ended``, ``censored`` int, one float column per quantile (NaN
        where the curve does not get there).

    Examples
    --------
    >>> times = pd.DataFrame({"hours": [1.0, 2.0, 3.0, 50.0], "censored": [False] * 3 + [True]})
    >>> km_summary(times, time="hours", suffix="_hours")["median_hours"].tolist()
    [2.0]
    """
    names = [quantile_name(float(p), suffix) for p in probs]
    if len(set(names)) != len(names):
        raise ValueError(f"probs repeat a quantile: {list(probs)}")
    by_cols = by_columns(frame, by, reserved=["count", "ended", "censored", *names])
    require_columns(frame, [time, "censored"], "times")
    weights = (
        count_column(frame, weight) if weight else np.ones(len(frame), dtype=np.int64)
    ).astype("float64")
    censored = frame["censored"].to_numpy(bool)
    codes, keys = group_codes(frame, by_cols)
    n = len(keys)
    total = as_counts(tally(codes, weights, n))
    ended = as_counts(tally(codes, np.where(censored, 0.0, weights), n))
    curves = kaplan_meier(
        frame[time].to_numpy(dtype="float64", na_value=np.nan), ~censored, weights, groups=codes
    )
    quantiles = km_quantiles(curves, [float(p) for p in probs]).reindex(np.arange(n))
    out = keys.assign(count=total, ended=ended, censored=total - ended)
    for name, p in zip(names, probs, strict=True):
        out[name] = quantiles[float(p)].to_numpy(dtype="float64")
    return out.astype({"count": "int64", "ended": "int64", "censored": "int64"})
