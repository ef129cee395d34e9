"""How accurate past forecasts were (METRICS.md "Forecast vs plan", "Track record").

A forecast of a period is judged once the period is over: its error against the period's
actual revenue, and whether it landed within :data:`HIT_BAND` of it (Salesforce's yardstick:
"within 10 % of actual").  The hit rate is the share of judged forecasts that did.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["HIT_BAND", "forecast_accuracy", "hit_rate", "judge"]

#: A forecast within this share of the actual (either side) is a hit.
HIT_BAND = 0.10


def judge(forecast: ArrayLike, actual: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Each forecast's error share ((forecast − actual) ÷ actual; NaN for an actual of 0) and
    whether it is a hit (within :data:`HIT_BAND`; a forecast of 0 for an actual of 0 is one).

    Examples
    --------
    >>> share, hit = judge([110.0, 80.0, 0.0, 5.0], [100.0, 100.0, 0.0, 0.0])
    >>> share.round(2).tolist()[:2], hit.tolist()
    ([0.1, -0.2], [True, False, True, False])
    """
    f, a = np.asarray(forecast, dtype="float64"), np.asarray(actual, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(a != 0, (f - a) / a, np.nan)
    hit: np.ndarray = (np.abs(share) <= HIT_BAND + 1e-12) | ((a == 0) & (f == 0))
    return share, hit


def forecast_accuracy(forecasts: pd.DataFrame, actuals: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The forecasts of periods over by ``as_of`` against what happened.

    Parameters
    ----------
    forecasts : DataFrame
        ``made_on``, ``target_start``, ``target_end`` (datetime64), ``model`` and ``value``
        (and any other columns, kept), e.g. :func:`appdb.forecasts.forecast_history`.
    actuals : DataFrame
        ``target_start``, ``target_end`` and ``actual``: the revenue of each period.
    as_of : date
        Periods ending after it are not judged yet (left out).

    Returns
    -------
    DataFrame
        The judged forecasts with ``actual``, ``error`` (value − actual), ``error_share``
        (error ÷ actual; NaN when the actual is 0) and ``hit`` (``|error_share| ≤``
        :data:`HIT_BAND`; a forecast of 0 for an actual of 0 is a hit), oldest period first.

    Examples
    --------
    >>> day = pd.Timestamp
    >>> forecasts = pd.DataFrame({"made_on": [day(2026, 2, 15)] * 2, "model": ["a", "b"],
    ...     "target_start": [day(2026, 1, 1)] * 2, "target_end": [day(2026, 4, 1)] * 2,
    ...     "value": [105.0, 80.0]})
    >>> actuals = pd.DataFrame({"target_start": [day(2026, 1, 1)],
    ...                         "target_end": [day(2026, 4, 1)], "actual": [100.0]})
    >>> forecast_accuracy(forecasts, actuals, date(2026, 4, 1))["hit"].tolist()
    [True, False]
    """
    over = forecasts.loc[forecasts["target_end"] <= pd.Timestamp(as_of)]
    judged = over.merge(actuals, on=["target_start", "target_end"], how="inner")
    share, hit = judge(judged["value"], judged["actual"])
    judged = judged.assign(error=judged["value"] - judged["actual"], error_share=share, hit=hit)
    return judged.sort_values(["target_start", "made_on"], kind="stable").reset_index(drop=True)


def hit_rate(accuracy: pd.DataFrame) -> float:
    """Share of the judged forecasts that were hits (NaN when none was judged).

    Examples
    --------
    >>> hit_rate(pd.DataFrame({"hit": [True, False, True, True]}))
    0.75
    """
    return float(accuracy["hit"].mean()) if len(accuracy) else float("nan")
