"""Forecast accuracy: sMAPE, MASE and skill against seasonal naive (METRICS.md "Forecasts",
"Accuracy"; methods.md §5.3).

The definitions are the M4 competition's (``Benchmarks and Evaluation.R``): sMAPE in percent,
0–200, and MASE scaled by the in-sample mean absolute error of the seasonal naive forecast.
Unlike ``utilsforecast.losses.smape`` (0–1, i.e. M4's value / 200), :func:`smape` is on M4's
0–200 scale.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from analytics.forecast_series import MONTHS_PER_YEAR

__all__ = ["mase", "mase_scale", "skill", "smape", "smape_terms"]


def _pair(y: ArrayLike, yhat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Actuals and forecasts as float arrays of one equal, non-zero length, all finite."""
    actual = np.asarray(y, dtype="float64").ravel()
    forecast = np.asarray(yhat, dtype="float64").ravel()
    if actual.shape != forecast.shape:
        raise ValueError(f"y has {actual.size} values and yhat {forecast.size}")
    if actual.size == 0:
        raise ValueError("accuracy needs at least one forecast")
    if not (np.isfinite(actual).all() and np.isfinite(forecast).all()):
        raise ValueError("y and yhat must be finite (no NaN or inf)")
    return actual, forecast


def smape_terms(y: ArrayLike, yhat: ArrayLike) -> np.ndarray:
    """The terms ``200·|y − ŷ| / (|y| + |ŷ|)`` of :func:`smape`, in percent (0–200); 0 where
    both ``y`` and ``ŷ`` are 0 (a perfect forecast of nothing, not 0/0).

    Examples
    --------
    >>> smape_terms([100.0, 0.0, 0.0], [50.0, 0.0, 10.0]).round(2).tolist()
    [66.67, 0.0, 200.0]
    """
    actual, forecast = _pair(y, yhat)
    denominator = np.abs(actual) + np.abs(forecast)
    terms: np.ndarray = np.divide(
        200.0 * np.abs(actual - forecast),
        denominator,
        out=np.zeros_like(denominator),
        where=denominator > 0,
    )
    return terms


def smape(y: ArrayLike, yhat: ArrayLike) -> float:
    """Symmetric mean absolute percentage error, as in M4: ``mean(200·|y − ŷ| / (|y| + |ŷ|))``.

    Parameters
    ----------
    y, yhat : array-like of float
        Actuals and forecasts, of one length, finite.

    Returns
    -------
    float
        Percent, 0 (perfect) to 200; a term where both the actual and the forecast are 0
        counts 0 (:func:`smape_terms`).

    Raises
    ------
    ValueError
        For lengths that differ, no values, or a NaN or infinite value.

    Examples
    --------
    >>> round(smape([100.0, 200.0], [110.0, 180.0]), 4)  # (200·10/210 + 200·20/380) / 2
    10.0251
    """
    return float(smape_terms(y, yhat).mean())


def mase_scale(insample: ArrayLike, m: int = MONTHS_PER_YEAR) -> float:
    """The MASE denominator: the in-sample seasonal naive mean absolute error
    ``mean_{t>m} |y_t − y_{t−m}|`` of the history the forecast was fitted on.

    Returns NaN when the history has ``m`` values or fewer (no seasonal difference); 0 when
    every value equals the one a season before.

    Examples
    --------
    >>> mase_scale([1.0, 2.0, 4.0, 8.0], m=2)  # |4 − 1|, |8 − 2|
    4.5
    """
    history = np.asarray(insample, dtype="float64").ravel()
    if m < 1:
        raise ValueError(f"the seasonal period m must be at least 1, got {m}")
    if not np.isfinite(history).all():
        raise ValueError("the in-sample series must be finite (no NaN or inf)")
    if history.size <= m:
        return float("nan")
    return float(np.abs(history[m:] - history[:-m]).mean())


def mase(y: ArrayLike, yhat: ArrayLike, insample: ArrayLike, m: int = MONTHS_PER_YEAR) -> float:
    """Mean absolute scaled error, as in M4: ``mean|y − ŷ| / mean_{t>m}|y_t − y_{t−m}|``, the
    denominator taken over the in-sample series (:func:`mase_scale`).

    Parameters
    ----------
    y, yhat : array-like of float
        Actuals and forecasts after the in-sample period, of one length, finite.
    insample : array-like of float
        The history the forecast was made from.
    m : int
        Seasonal period (12 for months).

    Returns
    -------
    float
        Unitless; 1 is the in-sample error of the seasonal naive forecast.  NaN when the
        scale is undefined (history of ``m`` values or fewer) or 0/0 (a history repeating
        every season and a perfect forecast); inf when the scale is 0 and the error is not.

    Examples
    --------
    The seasonal naive forecast's own in-sample errors give exactly 1:

    >>> history = [3.0, 5.0, 4.0, 6.0, 8.0, 5.0]
    >>> mase(history[2:], history[:-2], history, m=2)
    1.0
    """
    actual, forecast = _pair(y, yhat)
    scale = mase_scale(insample, m)
    error = float(np.abs(actual - forecast).mean())
    if np.isnan(scale) or (scale == 0 and error == 0):
        return float("nan")
    return error / scale if scale > 0 else float("inf")


def skill(mae_model: float, mae_snaive: float) -> float:
    """Skill against seasonal naive on the same forecasts: ``1 − MAE_model / MAE_snaive``
    (methods.md §5.3).

    Returns
    -------
    float
        Positive when the model beats seasonal naive (1 = perfect), 0 when it ties, negative
        when it loses; NaN when seasonal naive is perfect (``mae_snaive = 0``) or an input is
        NaN.

    Examples
    --------
    >>> skill(75.0, 100.0)
    0.25
    """
    if mae_model < 0 or mae_snaive < 0:
        raise ValueError("mean absolute errors cannot be negative")
    if not mae_snaive > 0:
        return float("nan")
    return 1.0 - mae_model / mae_snaive
