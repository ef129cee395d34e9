"""The forecast of a monthly series by the model its backtest chooses (METRICS.md
"Forecasts": candidates, default model, guards; short histories).

One function, :func:`auto_forecast`, for every series the app forecasts (won revenue, a
segment's revenue, demand by product line or price segment): backtest the candidates when the
history allows, forecast with the best model that beats seasonal naive, falling back along the
backtest's order when the guards reject a forecast.
"""

from __future__ import annotations

import numpy as np

from analytics.backtest import BacktestResult, backtest, candidate_order
from analytics.forecast_models import ModelForecast, guarded_forecast
from analytics.forecast_series import MonthlySeries

__all__ = ["BACKTEST_MIN_MONTHS", "BACKTEST_ORIGINS", "MIN_HISTORY_MONTHS", "auto_forecast"]

#: Complete months of history a time-series forecast needs (fewer: the forecast is nothing,
#: model ``none``).
MIN_HISTORY_MONTHS = 2
#: Complete months of history the backtest needs (fewer: the candidates run untested).
BACKTEST_MIN_MONTHS = 15
#: Rolling origins of the backtest (each forecasting 3 months ahead).
BACKTEST_ORIGINS = 6
#: The time-series candidates, in this order, when the history is too short to backtest.
_UNTESTED = ("theta", "ets", "seasonal_naive")


def auto_forecast(
    series: MonthlySeries, horizon: int, origins: int = BACKTEST_ORIGINS
) -> tuple[BacktestResult | None, ModelForecast]:
    """The backtest (when the history allows) and the guarded forecast of the best model.

    Parameters
    ----------
    series : MonthlySeries
        The complete months (``series.y``) to forecast from.
    horizon : int
        Months forecast, the running month first.
    origins : int
        Rolling origins of the backtest.

    Returns
    -------
    tuple
        The :class:`~analytics.backtest.BacktestResult` (None with fewer than
        :data:`BACKTEST_MIN_MONTHS` months) and the :class:`~analytics.forecast_models.
        ModelForecast` of ``horizon`` months: the backtest's best model that beats seasonal
        naive (falling back in the backtest's order), theta → ETS → seasonal naive untested,
        or zeros with model ``none`` under :data:`MIN_HISTORY_MONTHS` months.

    Examples
    --------
    >>> import pandas as pd
    >>> from analytics.forecast_series import monthly_series
    >>> won = pd.Series([5.0, 7.0], index=pd.to_datetime(["2026-01-01", "2026-02-01"]))
    >>> tested, forecast = auto_forecast(monthly_series(won, pd.Timestamp("2026-03-01")), 3)
    >>> tested is None, forecast.model, [r.reason for r in forecast.rejections]
    (True, 'seasonal_naive', ['fit_error', 'fit_error'])
    >>> forecast.mean.tolist()  # two months: theta and ETS cannot fit; the last month repeats
    [7.0, 7.0, 7.0]
    """
    if series.history_months < MIN_HISTORY_MONTHS:
        nothing = np.zeros(horizon)
        return None, ModelForecast(nothing, nothing, nothing, "none", "", 0.9, "")
    tested = backtest(series.y, origins=origins) if series.history_months >= BACKTEST_MIN_MONTHS \
        else None  # fmt: skip
    order = candidate_order(tested) if tested is not None and tested.origins else list(_UNTESTED)
    return tested, guarded_forecast(order, series.y, horizon)
