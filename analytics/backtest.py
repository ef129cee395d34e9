"""Rolling-origin backtest of the forecasting candidates and the choice of the default model
(METRICS.md "Forecasts", "Candidates", "Accuracy"; methods.md §5.3).

At each origin ``t`` every model is fitted on the first ``t`` months only and forecasts the
``h`` months after; the forecasts are compared with what happened.  The origins are the last
``K`` months that still have ``h`` actual months after them (``t = n − h − K + 1 … n − h``, one
month apart).  A model whose forecast the guards reject at an origin is scored on the seasonal
naive forecast there, as the app would have shown it (:func:`analytics.forecast_models.
guarded_forecast`); the table counts those fallbacks.  At an origin with fewer than 24 months
the seasonal models run their non-seasonal variants, as they would have then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analytics.forecast_metrics import mase_scale, skill, smape_terms
from analytics.forecast_models import MODELS, ForecastRejected, forecast_with
from analytics.forecast_series import MONTHS_PER_YEAR

__all__ = ["BASELINE", "BacktestResult", "backtest", "candidate_order", "choose_model"]

#: The benchmark every model is compared with, and the default when none beats it.
BASELINE = "seasonal_naive"

_ERROR_COLUMNS = [
    "model", "origin", "horizon", "actual", "forecast", "abs_error", "scaled_error", "smape",
    "fallback",
]  # fmt: skip
_TABLE_COLUMNS = ["model", "mase", "smape", "mae", "skill", "origins", "fallbacks"]
_HORIZON_COLUMNS = ["model", "horizon", "mase", "smape", "mae"]


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """The errors of a rolling-origin backtest, made by :func:`backtest`.

    Attributes
    ----------
    errors : DataFrame
        One row per model, origin and month ahead: ``model`` str, ``origin`` int (months of
        history the forecast was made from), ``horizon`` int (1 = the first month after),
        ``actual``, ``forecast``, ``abs_error`` float (the series' unit), ``scaled_error``
        float (``abs_error`` / the origin's in-sample seasonal naive MAE; NaN where that scale
        is 0 or undefined), ``smape`` float (the sMAPE term, percent), ``fallback`` bool (the
        guards rejected the model there and seasonal naive stood in).
    table : DataFrame
        One row per model, lowest MASE first: ``model``, ``mase`` (mean of ``scaled_error``,
        NaN terms left out), ``smape`` (percent), ``mae`` (series' unit), ``skill``
        (``1 − MAE / MAE of seasonal naive`` on the same origins), ``origins`` int,
        ``fallbacks`` int (origins where the guards replaced it).  Seasonal naive is always in
        it.  Empty when the history is too short for one origin.
    by_horizon : DataFrame
        ``model``, ``horizon``, ``mase``, ``smape``, ``mae``: the same errors month ahead by
        month ahead.
    h : int
        Months forecast from each origin.
    origins : tuple of int
        The origins used (months of history), oldest first.
    requested_origins : int
        The number asked for; more than ``len(origins)`` when the history is short.
    m : int
        Seasonal period of the models and of the MASE scale.
    note : str
        English: how many origins were used and why fewer than asked, if so.
    """

    errors: pd.DataFrame
    table: pd.DataFrame
    by_horizon: pd.DataFrame
    h: int
    origins: tuple[int, ...]
    requested_origins: int
    m: int
    note: str


def _origins(n: int, h: int, count: int, m: int) -> tuple[tuple[int, ...], str]:
    """The origins and a sentence about them; each leaves ``h`` actual months after it and
    ``m + 1`` months before it (the least a seasonal naive forecast and its scale need).
    """
    least = m + 1
    origins = tuple(t for t in range(n - h - count + 1, n - h + 1) if t >= least)
    if len(origins) == count:
        return origins, f"{count} origins, each forecasting {h} months."
    if not origins:
        return origins, (
            f"No backtest: {n} months of history; a backtest of {h} months needs at least "
            f"{least + h} (seasonal naive is the default)."
        )
    return origins, (
        f"{len(origins)} of {count} origins, each forecasting {h} months: the history "
        f"({n} months) is short and every origin needs at least {least} months before it."
    )


def _forecast_rows(
    model: str, y: np.ndarray, origin: int, h: int, m: int, fallback: np.ndarray
) -> dict[str, object]:
    """The ``errors`` columns of one model at one origin (``fallback``: seasonal naive's
    forecast there, used when the guards reject the model).
    """
    history, actual = y[:origin], y[origin : origin + h]
    try:
        forecast, replaced = forecast_with(model, history, h, m).mean, False
    except ForecastRejected:
        forecast, replaced = fallback, True
    abs_error = np.abs(actual - forecast)
    scale = mase_scale(history, m)
    scaled = abs_error / scale if scale > 0 else np.full(h, np.nan)  # NaN scale: not > 0
    return {
        "model": model,
        "origin": origin,
        "horizon": np.arange(1, h + 1),
        "actual": actual,
        "forecast": forecast,
        "abs_error": abs_error,
        "scaled_error": scaled,
        "smape": smape_terms(actual, forecast),
        "fallback": replaced,
    }


def _summaries(errors: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-model table and the per-model, per-month-ahead table of ``errors``."""
    grouped = errors.groupby("model", sort=False)
    table = pd.DataFrame(
        {
            "mase": grouped["scaled_error"].mean(),
            "smape": grouped["smape"].mean(),
            "mae": grouped["abs_error"].mean(),
            "origins": grouped["origin"].nunique(),
            "fallbacks": errors.drop_duplicates(["model", "origin"])
            .groupby("model", sort=False)["fallback"]
            .sum(),
        }
    ).reset_index()
    baseline_mae = float(table.loc[table["model"] == BASELINE, "mae"].iloc[0])
    table["skill"] = [skill(mae, baseline_mae) for mae in table["mae"]]
    table = table.sort_values(["mase", "mae"], kind="stable", na_position="last")
    by_horizon = (
        errors.groupby(["model", "horizon"], sort=False)
        .agg(mase=("scaled_error", "mean"), smape=("smape", "mean"), mae=("abs_error", "mean"))
        .reset_index()
    )
    return (
        table[_TABLE_COLUMNS].astype({"origins": "int64", "fallbacks": "int64"}),
        by_horizon[_HORIZON_COLUMNS],
    )


def backtest(
    y: ArrayLike,
    models: Sequence[str] = tuple(MODELS),
    h: int = 3,
    origins: int = 6,
    m: int = MONTHS_PER_YEAR,
) -> BacktestResult:
    """Rolling-origin backtest of ``models`` on ``y`` (methods.md §5.3).

    Parameters
    ----------
    y : array-like of float
        The complete months, oldest first (``MonthlySeries.y``); finite.
    models : sequence of str
        Keys of :data:`analytics.forecast_models.MODELS`; seasonal naive is added when absent
        (it is the benchmark).
    h : int
        Months forecast from each origin (≥ 1).
    origins : int
        How many origins, the last ones that leave ``h`` actual months (≥ 1).  Fewer are used
        when the history is short: each needs ``m + 1`` months before it (``note`` says so).
    m : int
        Seasonal period of the models and of the MASE scale.

    Returns
    -------
    BacktestResult
        The per-forecast ``errors``, the per-model ``table`` (MASE, sMAPE, MAE, skill against
        seasonal naive on the same origins, origins used, fallbacks) and ``by_horizon``.

    Examples
    --------
    >>> y = np.tile([10.0, 20.0, 30.0, 20.0, 10.0, 5.0, 5.0, 10.0, 20.0, 40.0, 50.0, 30.0], 3)
    >>> result = backtest(y, ["seasonal_naive"], h=3, origins=4)
    >>> result.origins, result.table["mae"].tolist()
    ((30, 31, 32, 33), [0.0])
    """
    values = np.asarray(y, dtype="float64")
    if values.ndim != 1 or not np.isfinite(values).all():
        raise ValueError("the series must be one-dimensional and finite (no NaN or inf)")
    if h < 1 or origins < 1 or m < 1:
        raise ValueError(f"h, origins and m must be at least 1, got {h}, {origins}, {m}")
    names = list(dict.fromkeys([BASELINE, *models]))
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; valid: {', '.join(MODELS)}")
    chosen, note = _origins(len(values), h, origins, m)
    rows: list[dict[str, object]] = []
    for origin in chosen:
        baseline = forecast_with(BASELINE, values[:origin], h, m, nonnegative=False).mean
        rows.extend(_forecast_rows(name, values, origin, h, m, baseline) for name in names)
    if rows:
        errors = pd.concat([pd.DataFrame(row) for row in rows], ignore_index=True)
        table, by_horizon = _summaries(errors)
    else:
        errors = pd.DataFrame(columns=_ERROR_COLUMNS)
        table = pd.DataFrame(columns=_TABLE_COLUMNS)
        by_horizon = pd.DataFrame(columns=_HORIZON_COLUMNS)
    return BacktestResult(errors, table, by_horizon, h, chosen, origins, m, note)


def choose_model(result: BacktestResult) -> str:
    """The default model: the lowest backtest MASE, but never one that loses to seasonal naive
    (METRICS.md "Candidates").

    A model is chosen only when its MASE is strictly below seasonal naive's on the same
    origins; otherwise, and when there was no origin, seasonal naive is.

    Examples
    --------
    >>> y = np.tile([10.0, 20.0, 30.0, 20.0, 10.0, 5.0, 5.0, 10.0, 20.0, 40.0, 50.0, 30.0], 2)
    >>> choose_model(backtest(y[:14], ["theta"]))  # no origin: 14 months, h = 3
    'seasonal_naive'
    """
    return candidate_order(result)[0]


def candidate_order(result: BacktestResult) -> list[str]:
    """The models that beat seasonal naive in the backtest, lowest MASE first, then seasonal
    naive: the ``candidates`` of :func:`analytics.forecast_models.guarded_forecast`, so a
    rejected choice falls back to the next best model.
    """
    table = result.table
    if table.empty:
        return [BASELINE]
    baseline = float(table.loc[table["model"] == BASELINE, "mase"].iloc[0])
    better = table[table["mase"] < baseline]  # none when the baseline's MASE is NaN
    return [*better["model"], BASELINE]
