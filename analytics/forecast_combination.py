"""The combined forecast: the time-series forecast and the pipeline forecast, weighted by how
well each did in the replay of past quarters (METRICS.md "Combined forecast", "Track record").

Both forecast the revenue still to be won in a period: the time series from the history of
won revenue (what the months will bring, new deals included), the pipeline from the deals
open now (what they are expected to bring).  Their weights come from their errors in the
replay: the forecast as it would have been made at the middle of each past quarter, on the
data before that day, against the quarter's actual revenue; inverse mean squared error
weights (methods.md §5.7), equal weights (a strong default) until :data:`MIN_REPLAYS`
quarters were replayed.  In the track record each quarter's combined forecast is weighted by
the quarters before it only, as it could have been made on its day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analytics.forecast_accuracy import judge

__all__ = [
    "MIN_REPLAYS",
    "METHODS",
    "combination_weight",
    "combine",
    "track_record",
    "weight_from_history",
]

#: Replayed quarters needed before the weights follow the errors (else equal weights).
MIN_REPLAYS = 4
#: The forecasts the track record compares, as its ``method`` values.
METHODS: tuple[str, ...] = ("combined", "time_series", "pipeline")


def combination_weight(ts_errors: np.ndarray, pipeline_errors: np.ndarray) -> float:
    """The time series' weight: ``(1/MSE_ts) / (1/MSE_ts + 1/MSE_pipeline)`` over the
    replayed quarters (the pipeline's weight is 1 − it); 0.5 with fewer than
    :data:`MIN_REPLAYS` of them; 1 or 0 when one method was exact every time.

    Examples
    --------
    >>> combination_weight(np.array([10.0, -10.0, 10.0, -10.0]), np.array([20.0] * 4))
    0.8
    >>> combination_weight(np.array([1.0]), np.array([5.0]))
    0.5
    """
    ts, pipe = np.asarray(ts_errors, dtype="float64"), np.asarray(pipeline_errors, dtype="float64")
    if len(ts) != len(pipe):
        raise ValueError("give one error of each method per replayed quarter")
    if len(ts) < MIN_REPLAYS:
        return 0.5
    mse_ts, mse_pipe = float(np.mean(ts**2)), float(np.mean(pipe**2))
    if mse_ts == 0.0 or mse_pipe == 0.0:
        return 1.0 if mse_ts <= mse_pipe else 0.0
    return round((1 / mse_ts) / (1 / mse_ts + 1 / mse_pipe), 12)


def combine(time_series: ArrayLike, pipeline: ArrayLike, weight: ArrayLike) -> np.ndarray:
    """``weight × time_series + (1 − weight) × pipeline``, element by element (``weight`` one
    number or one per element).

    Examples
    --------
    >>> combine(np.array([100.0, 80.0]), np.array([60.0, 20.0]), 0.75).tolist()
    [90.0, 65.0]
    """
    w = np.asarray(weight, dtype="float64")
    if not ((w >= 0.0) & (w <= 1.0)).all():
        raise ValueError(f"weights between 0 and 1, not {w.tolist()}")
    result: np.ndarray = w * np.asarray(time_series, dtype="float64") + (1 - w) * np.asarray(
        pipeline, dtype="float64"
    )
    return result


def track_record(replays: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Each replayed quarter's forecasts against its actual revenue, and today's weight.

    Each quarter's combined forecast is weighted as it could have been on its day: by the
    errors of the quarters replayed before it (:func:`combination_weight`: equal weights until
    :data:`MIN_REPLAYS` of them), never by its own or later ones.

    Parameters
    ----------
    replays : DataFrame
        One row per replayed quarter, oldest first: ``quarter`` (its first day), ``made_on``,
        ``won_so_far`` (won before ``made_on``), ``time_series`` and ``pipeline`` (each
        method's forecast of the rest of the quarter), ``actual`` (the quarter's won revenue).

    Returns
    -------
    (DataFrame, float)
        The table: ``quarter``, ``made_on``, ``method`` (:data:`METHODS`), ``forecast``
        (won so far + the method's rest), ``weight`` (the time series' weight in that
        quarter's combined forecast; NaN for the other methods), ``actual``, ``error_share``
        and ``hit`` (:func:`analytics.forecast_accuracy.judge`: within
        ±:data:`~analytics.forecast_accuracy.HIT_BAND`); and the weight of today's forecast
        (from every replayed quarter).
    """
    replays = replays.sort_values("quarter", kind="stable").reset_index(drop=True)
    ts = (replays["won_so_far"] + replays["time_series"]).to_numpy(dtype="float64")
    pipe = (replays["won_so_far"] + replays["pipeline"]).to_numpy(dtype="float64")
    actual = replays["actual"].to_numpy(dtype="float64")
    ts_errors, pipe_errors = ts - actual, pipe - actual
    weights = np.array([combination_weight(ts_errors[:i], pipe_errors[:i])
                        for i in range(len(replays))])  # fmt: skip
    combined = replays["won_so_far"].to_numpy(dtype="float64") + combine(
        replays["time_series"], replays["pipeline"], weights
    )
    keys = replays[["quarter", "made_on"]]
    nan = np.full(len(replays), np.nan)
    table = pd.concat(
        [
            keys.assign(method=method, forecast=forecast, weight=weight, actual=actual)
            for method, forecast, weight in zip(METHODS, (combined, ts, pipe),
                                                (weights, nan, nan), strict=True)
        ],
        ignore_index=True,
    )  # fmt: skip
    share, hit = judge(table["forecast"], table["actual"])
    table = table.assign(error_share=share, hit=hit)
    table = table.sort_values(["quarter", "method"], kind="stable").reset_index(drop=True)
    return table, combination_weight(ts_errors, pipe_errors)


def weight_from_history(kept: pd.DataFrame, revenue: pd.Series) -> float:
    """The time series' weight from kept forecasts: :func:`combination_weight` of the kept
    time-series and pipeline forecasts of past quarters against their actual revenue.

    Parameters
    ----------
    kept : DataFrame
        Kept forecasts (``appdb.forecasts.forecast_history``): ``made_on``, ``target_start``,
        ``target_end``, ``model`` (``time_series`` and ``pipeline`` rows are read; the latest
        made of each quarter counts) and ``value``.
    revenue : Series
        Won revenue of the complete months (index: month starts): a quarter whose months are
        all in it is judged.

    Returns
    -------
    float
        The weight; 0.5 with fewer than :data:`MIN_REPLAYS` quarters judged by both methods.

    Examples
    --------
    >>> months = pd.date_range("2025-01-01", periods=12, freq="MS")
    >>> revenue = pd.Series(100.0 / 3, index=months)  # 100 a quarter
    >>> starts = pd.date_range("2025-01-01", periods=4, freq="QS")
    >>> kept = pd.concat([pd.DataFrame({"made_on": starts, "target_start": starts,
    ...     "target_end": starts + pd.DateOffset(months=3), "model": model, "value": values})
    ...     for model, values in (("time_series", [110.0, 90.0, 110.0, 90.0]),
    ...                           ("pipeline", [80.0] * 4))])
    >>> weight_from_history(kept, revenue)
    0.8
    """
    rows = kept.loc[kept["model"].isin(["time_series", "pipeline"])]
    latest = rows.sort_values("made_on", kind="stable").groupby(
        ["target_start", "target_end", "model"], as_index=False).last()  # fmt: skip
    wide = latest.pivot(index=["target_start", "target_end"], columns="model", values="value")
    wide = wide.dropna(subset=[c for c in ("time_series", "pipeline") if c in wide]).reset_index()
    if not {"time_series", "pipeline"} <= set(wide.columns) or revenue.empty:
        return 0.5
    last = revenue.index.max() + pd.DateOffset(months=1)
    over = wide.loc[(wide["target_end"] <= last) & (wide["target_start"] >= revenue.index.min())]
    actual = np.array([revenue.loc[(revenue.index >= start) & (revenue.index < end)].sum()
                       for start, end in zip(over["target_start"], over["target_end"],
                                             strict=True)])  # fmt: skip
    return combination_weight(over["time_series"].to_numpy() - actual,
                              over["pipeline"].to_numpy() - actual)  # fmt: skip
