"""Pacing (METRICS.md "Pacing"): is a rep on track to reach a target by the period's end?

On track if the actual is at or ahead of a linear path in working days; at risk if less than
10 % behind; off track at 10 % behind or more (Zoho's rule, anchors.md §3).  Lower-is-better:
the target is a ceiling (a budget used up linearly when cumulative), and being *over* it is
being behind.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.incentives._checks import day_counts, finite_number

__all__ = ["PACING_STATES", "pacing"]

#: The states of :func:`pacing`, best first.
PACING_STATES = ("on track", "at risk", "off track")


def pacing(
    actual: Any,
    target: Any,
    elapsed_working_days: Any,
    total_working_days: Any,
    higher_is_better: Any = True,
    *,
    cumulative: bool = True,
    tolerance: float = 0.10,
) -> pd.DataFrame:
    """On track / at risk / off track against a linear path (METRICS.md "Pacing").

    ``expected = target × elapsed / total`` working days (``cumulative=False``, for levels such
    as rates or days: ``expected = target`` throughout).  Higher-is-better: *on track* if
    ``actual ≥ expected``; otherwise ``shortfall = (expected − actual) / expected``, *at risk*
    if ``shortfall < tolerance``, *off track* if ``≥ tolerance``.  Lower-is-better: the target
    is a ceiling (cumulative: a budget used up linearly): *on track* if ``actual ≤ expected``,
    ``shortfall = (actual − expected) / expected``.  With ``expected`` 0 any shortfall is
    infinite (off track).  Vectorised: arguments broadcast.

    Parameters
    ----------
    actual, target : float or array-like
        Actual to date and the period's target; a target ≤ 0 or NaN, or a NaN actual, gives a
        missing status.
    elapsed_working_days, total_working_days : float or array-like
        ``0 ≤ elapsed ≤ total``, ``total > 0`` (see :func:`analytics.periods.working_days`).
    higher_is_better : bool or array-like of bool
        Direction of the metric.
    cumulative : bool
        The metric accumulates over the period (counts, money) rather than being a level.
    tolerance : float
        Share behind the expected path that is still "at risk" (0.10 = 10 %).

    Returns
    -------
    DataFrame
        One row per element: ``actual``, ``target``, ``expected`` float, ``shortfall`` float
        (share behind the path, 0 when on track), ``status`` str (one of
        :data:`PACING_STATES`, NA without a target or an actual).

    Examples
    --------
    >>> pacing([50, 46, 45], 100, 10, 20)[["expected", "status"]].values.tolist()
    [[50.0, 'on track'], [50.0, 'at risk'], [50.0, 'off track']]
    >>> pacing(8, 10, 5, 20, higher_is_better=False, cumulative=False)["status"].tolist()
    ['on track']
    """
    tolerance = finite_number(tolerance, "tolerance")
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be between 0 and 1 (0.1 for 10 %), got {tolerance:g}")
    elapsed, total = day_counts(elapsed_working_days, total_working_days)
    actual_, target_, elapsed, total, hib = np.broadcast_arrays(
        np.asarray(actual, dtype="float64"),
        np.asarray(target, dtype="float64"),
        elapsed,
        total,
        np.asarray(higher_is_better, dtype=bool),
    )
    expected = target_ * elapsed / total if cumulative else target_.copy()
    defined = (target_ > 0) & ~np.isnan(actual_)
    gap = np.where(hib, expected - actual_, actual_ - expected)  # > 0: behind
    on_track = gap <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        shortfall = np.where(on_track, 0.0, np.where(expected > 0, gap / expected, np.inf))
    status = np.where(
        on_track, PACING_STATES[0], np.where(shortfall < tolerance, *PACING_STATES[1:])
    )
    out = pd.DataFrame(
        {
            "actual": actual_.reshape(-1),
            "target": target_.reshape(-1),
            "expected": np.where(target_ > 0, expected, np.nan).reshape(-1),
            "shortfall": np.where(defined, shortfall, np.nan).reshape(-1),
            # None is a valid array-like for numpy; its stubs leave it out of ArrayLike
            "status": pd.Series(
                np.where(defined, status, None).reshape(-1),  # type: ignore[call-overload]
                dtype="str",
            ),
        }
    )
    return out
