"""Demand forecast by product line or price segment (issue #19, the seeds' "demand by price
segment"; METRICS.md "Forecasts").

At ``filters``' as_of, for the orders the scope and filters allow: the order items' revenue
(Σ quantity × unit price) or units by month over :data:`HISTORY_YEARS` years
(:func:`crm_data.queries.demand.demand_by_month`), summed per segment — the product's line, or
its price segment (:func:`analytics.price_segments.price_segments`: terciles of the
catalogue's list prices) — and in total.  Each segment's monthly series
(:func:`analytics.forecast_series.monthly_series`, the running month apart) is forecast by the
model its backtest chooses (:func:`analytics.auto_forecast.auto_forecast`: never one that loses
to seasonal naive, guarded), :data:`HORIZON_MONTHS` months ahead.

Per segment the report gives the model, its backtest MASE against seasonal naive's, the
forecast of the next calendar quarter and of the :data:`HORIZON_MONTHS` months with their 90 %
intervals (sums of the months' bounds: a simple bound, not a joint distribution), the last 12
complete months and their change on the 12 before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from analytics.auto_forecast import auto_forecast
from analytics.backtest import BASELINE, BacktestResult
from analytics.forecast_models import ModelForecast
from analytics.forecast_series import MonthlySeries, monthly_series
from analytics.price_segments import PRICE_SEGMENTS, price_segments
from crm_data.filters import Filters, Scope
from crm_data.queries.currency import main_currency
from crm_data.queries.demand import demand_by_month, product_prices
from crm_data.queries.frames import Bind
from reports.forecast import HISTORY_YEARS, history_filters

__all__ = [
    "HISTORY_YEARS",
    "HORIZON_MONTHS",
    "MONTH_COLUMNS",
    "SEGMENT_COLUMNS",
    "By",
    "DemandForecast",
    "Measure",
    "SegmentForecast",
    "demand_forecast",
    "next_quarter",
]

#: Months forecast, the running month first.
HORIZON_MONTHS = 6
#: What a segment is: the product's line or its price segment.
By = Literal["product_line", "price_segment"]
#: What is forecast: Σ quantity × unit price, or Σ quantity.
Measure = Literal["revenue", "units"]
#: The columns of :attr:`DemandForecast.segments`.
SEGMENT_COLUMNS = [
    "segment", "model", "mase", "naive_mase", "next_quarter", "next_quarter_low",
    "next_quarter_high", "next_6_months", "next_6_months_low", "next_6_months_high",
    "last_12_months", "yoy_change", "history_months",
]  # fmt: skip
#: The columns of :attr:`DemandForecast.months`.
MONTH_COLUMNS = ["segment", "month", "actual", "forecast", "low", "high"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class SegmentForecast:
    """One series and its forecast.

    Attributes
    ----------
    segment : str
        The product line, the price segment (a value of
        :data:`analytics.price_segments.PRICE_SEGMENTS`) or ``""`` for the total.
    series : MonthlySeries
        The monthly history (the running month apart).
    backtest : BacktestResult or None
        The candidates' backtest (None when the history is too short).
    forecast : ModelForecast
        The chosen model's :data:`HORIZON_MONTHS` months, the running month first (its whole
        month).
    """

    segment: str
    series: MonthlySeries
    backtest: BacktestResult | None
    forecast: ModelForecast

    def mase(self, model: str) -> float:
        """``model``'s backtest MASE (NaN without a backtest or when it was not tested)."""
        if self.backtest is None or self.backtest.table.empty:
            return float("nan")
        row = self.backtest.table.loc[self.backtest.table["model"] == model, "mase"]
        return float(row.iloc[0]) if len(row) else float("nan")


@dataclass(frozen=True, eq=False)
class DemandForecast:
    """The demand forecast at as_of (see the module docstring).

    Attributes
    ----------
    as_of : date
        When the forecast is made (nothing on or after it is read).
    by : str
        ``"product_line"`` or ``"price_segment"``.
    measure : str
        ``"revenue"`` or ``"units"``.
    currency : str or None
        The revenue's unit (None for units, or without deals).
    segments : DataFrame
        One row per segment (product lines by name; price segments cheapest first), columns
        :data:`SEGMENT_COLUMNS`: ``model``, its backtest ``mase`` and seasonal naive's
        ``naive_mase`` (NaN without a backtest), ``next_quarter`` (the calendar quarter after
        the running one) and ``next_6_months`` (the :data:`HORIZON_MONTHS` months, the running
        month whole) with ``_low``/``_high`` (the 90 % bounds summed), ``last_12_months``
        (the last 12 complete months), ``yoy_change`` (their change on the 12 before; NaN
        with less than 24 months or nothing before), ``history_months``.
    months : DataFrame
        Per segment and month, columns :data:`MONTH_COLUMNS`: ``actual`` for the complete
        months (NaN after), ``forecast``, ``low``, ``high`` for the forecast months (NaN
        before).
    fits : dict of str to SegmentForecast
        Each segment's series, backtest and forecast.
    total : SegmentForecast
        Every segment together (the scope's whole demand).
    products : DataFrame
        ``product_id``, ``name``, ``product_line``, ``price``, ``price_segment``: the catalogue.
    """

    as_of: date
    by: str
    measure: str
    currency: str | None
    segments: pd.DataFrame
    months: pd.DataFrame
    fits: dict[str, SegmentForecast]
    total: SegmentForecast
    products: pd.DataFrame

    @property
    def empty(self) -> bool:
        """No demand before as_of in the history read."""
        series = self.total.series
        return series.history_months == 0 and series.partial_value == 0


def next_quarter(months: pd.DatetimeIndex) -> np.ndarray:
    """Which of the forecast ``months`` (the running month first) fall in the calendar quarter
    after the running month's.

    Examples
    --------
    >>> months = pd.date_range("2026-05-01", periods=6, freq="MS")
    >>> next_quarter(months).tolist()  # May is running: July to September
    [False, False, True, True, True, False]
    """
    if len(months) == 0:
        return np.zeros(0, dtype=bool)
    quarters = months.to_period("Q")
    mask: np.ndarray = np.asarray(quarters == quarters[0] + 1)
    return mask


def _products(bind: Bind) -> pd.DataFrame:
    """The catalogue with each product's price segment."""
    products = product_prices(bind)
    segments = price_segments(products.set_index("product_id")["price"])
    return products.assign(price_segment=segments.to_numpy())


def _segment_order(by: By, present: list[str]) -> list[str]:
    """Product lines by name; price segments cheapest first."""
    if by == "price_segment":
        return [s for s in PRICE_SEGMENTS if s in present]
    return sorted(present)


def _fit(segment: str, values: pd.Series, as_of: date) -> SegmentForecast:
    series = monthly_series(values, as_of)
    tested, forecast = auto_forecast(series, HORIZON_MONTHS)
    return SegmentForecast(segment, series, tested, forecast)


def _summary(fit: SegmentForecast) -> dict[str, object]:
    """One row of :attr:`DemandForecast.segments`."""
    ts, history = fit.forecast, fit.series.history
    quarter = next_quarter(fit.series.future_months(HORIZON_MONTHS))
    last = float(history.iloc[-12:].sum())
    before = float(history.iloc[-24:-12].sum()) if len(history) >= 24 else float("nan")
    return {
        "segment": fit.segment,
        "model": ts.model,
        "mase": fit.mase(ts.model),
        "naive_mase": fit.mase(BASELINE),
        "next_quarter": float(ts.mean[quarter].sum()),
        "next_quarter_low": float(ts.lower[quarter].sum()),
        "next_quarter_high": float(ts.upper[quarter].sum()),
        "next_6_months": float(ts.mean.sum()),
        "next_6_months_low": float(ts.lower.sum()),
        "next_6_months_high": float(ts.upper.sum()),
        "last_12_months": last,
        "yoy_change": last / before - 1 if before > 0 else float("nan"),
        "history_months": fit.series.history_months,
    }


def _months(fit: SegmentForecast) -> pd.DataFrame:
    """The segment's rows of :attr:`DemandForecast.months`."""
    history, ts = fit.series.history, fit.forecast
    past = pd.DataFrame({"month": history.index, "actual": history.to_numpy()})
    ahead = pd.DataFrame({
        "month": fit.series.future_months(HORIZON_MONTHS), "forecast": ts.mean,
        "low": ts.lower, "high": ts.upper,
    })  # fmt: skip
    frame = pd.concat([past, ahead], ignore_index=True) if len(past) else ahead
    frame["month"] = pd.to_datetime(frame["month"])
    return frame.assign(segment=fit.segment).reindex(columns=MONTH_COLUMNS)


def _no_months() -> pd.DataFrame:
    """An empty :attr:`DemandForecast.months` with its dtypes."""
    columns = {c: pd.Series(dtype="float64") for c in MONTH_COLUMNS}
    columns |= {"segment": pd.Series(dtype=object), "month": pd.Series(dtype="datetime64[us]")}
    return pd.DataFrame(columns)[MONTH_COLUMNS]


def demand_forecast(
    bind: Bind,
    filters: Filters,
    scope: Scope,
    by: By = "product_line",
    measure: Measure = "revenue",
    progress: Progress | None = None,
) -> DemandForecast:
    """The demand forecast per segment at ``filters``' as_of (see the module docstring).

    Parameters
    ----------
    bind : Engine or Connection
        The CRM database.
    filters, scope : Filters, Scope
        Whose orders (scope, teams, reps, regions, size bands, product lines) and the as_of
        the forecast is made at; the period itself is not used: the history is the
        :data:`HISTORY_YEARS` years before as_of.
    by : {"product_line", "price_segment"}
        What a segment is.
    measure : {"revenue", "units"}
        What is forecast.
    progress : callable, optional
        ``progress(done, total)`` after each series is fitted (the segments, then the total).

    Returns
    -------
    DemandForecast
        Per segment the model, backtest, forecasts and last year; the per-month table; the
        total.  Without orders: no segment, no month, the total's model ``none``.

    Examples
    --------
    >>> result = demand_forecast(engine, filters, scope, "price_segment")  # doctest: +SKIP
    >>> result.segments[["segment", "model", "next_quarter"]]  # doctest: +SKIP
      segment           model  next_quarter
    0 economy             ets      412000.0
    """
    if by not in ("product_line", "price_segment"):
        raise ValueError(f"by must be 'product_line' or 'price_segment', got {by!r}")
    if measure not in ("revenue", "units"):
        raise ValueError(f"measure must be 'revenue' or 'units', got {measure!r}")
    as_of = filters.as_of or filters.end
    demand = demand_by_month(bind, history_filters(filters, as_of), scope)
    products = _products(bind)
    segment_of = products.set_index("product_id")[by]
    rows = demand.assign(segment=demand["product_id"].map(segment_of), value=demand[measure])
    rows = rows.dropna(subset=["segment"]).astype({"value": "float64"})
    by_segment = rows.groupby(["segment", "month"])["value"].sum()
    names = _segment_order(by, [str(s) for s in rows["segment"].unique()])
    total_steps = len(names) + 1
    fits: dict[str, SegmentForecast] = {}
    for done, name in enumerate(names, start=1):
        fits[name] = _fit(name, by_segment.loc[name], as_of)
        if progress is not None:
            progress(done, total_steps)
    total = _fit("", rows.groupby("month")["value"].sum(), as_of)
    if progress is not None:
        progress(total_steps, total_steps)
    segments = pd.DataFrame([_summary(fit) for fit in fits.values()], columns=SEGMENT_COLUMNS)
    months = [_months(fit) for fit in fits.values()]
    currency = main_currency(bind, scope)[0] if measure == "revenue" else None
    return DemandForecast(
        as_of=as_of, by=by, measure=measure, currency=currency,
        segments=segments.astype({"history_months": "int64"}),
        months=pd.concat(months, ignore_index=True) if months else _no_months(),
        fits=fits, total=total, products=products,
    )  # fmt: skip
