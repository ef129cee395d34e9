"""The Forecast page's numbers: will the quarter make the plan? (issue #19; METRICS.md
"Forecasts").

At ``filters``' as_of, for the deals the scope and filters allow:

* the **time-series forecast** of won revenue by close month: the monthly series
  (:func:`analytics.forecast_series.monthly_series`, the running month apart), a rolling-origin
  backtest of the candidates (:func:`analytics.backtest.backtest`) and the forecast of the best
  one that beats seasonal naive, with the guards' fallbacks
  (:func:`analytics.forecast_models.guarded_forecast`);
* the **pipeline forecast**: each open deal's P(win) from its stage (the high-water-mark win
  rate of the deals created in the two years before), its P(close) in each month from the
  Kaplan–Meier of their cycle times, and a Monte Carlo interval
  (:func:`analytics.pipeline_forecast.pipeline_forecast`);
* the **combined forecast** of the rest of each month of the running quarter: ``w × time
  series + (1 − w) × pipeline``, ``w`` from the replay of past quarters
  (:mod:`analytics.forecast_combination`); later months are the time series' alone;
* the **quarter against the plan**: won so far, the forecast of the rest, the quotas of the
  quarter, the gap and the open pipeline it takes at today's win rate.

:func:`replay_quarter` replays the forecast of a past quarter at its middle, with only the data
before that day: the track record the page shows beside the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial

import numpy as np
import pandas as pd

from analytics.auto_forecast import BACKTEST_ORIGINS, MIN_HISTORY_MONTHS, auto_forecast
from analytics.backtest import BacktestResult
from analytics.forecast_combination import combine
from analytics.forecast_models import ModelForecast
from analytics.forecast_series import MonthlySeries, monthly_series
from analytics.pipeline_forecast import (
    SIMULATIONS,
    PipelineForecast,
    pipeline_by_group,
    pipeline_forecast,
    stage_probability,
    stage_win_rates,
)
from crm_data.concurrent import gather
from crm_data.filters import Filters, Scope
from crm_data.queries.currency import main_currency
from crm_data.queries.deal_flow import deal_flow_by_month
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import funnel_facts, funnel_stages, quota_total
from crm_data.queries.people import people
from crm_data.queries.pipeline_training import deal_cycle_times, open_deal_features
from crm_data.queries.rep_spread import quotas_by_rep, won_deal_moments

__all__ = [
    "BACKTEST_ORIGINS",
    "COHORT_DAYS",
    "HISTORY_YEARS",
    "HORIZON_MONTHS",
    "MIN_HISTORY_MONTHS",
    "OUTLOOK_COLUMNS",
    "REPLAYS_AT_ONCE",
    "REPLAY_SIMULATIONS",
    "REP_SIMULATIONS",
    "ForecastReport",
    "QuarterOutlook",
    "forecast_filters",
    "forecast_report",
    "history_filters",
    "quarter_of",
    "quarters_to_replay",
    "replay_dates",
    "replay_quarter",
    "replay_quarters",
    "rep_outlook",
    "segment_outlook",
    "with_weight",
]

#: Months forecast, the running month first.
HORIZON_MONTHS = 6
#: Years of monthly history the time series reads.
HISTORY_YEARS = 5
#: The deals created this many days before as_of give the stage win rates and cycle times.
COHORT_DAYS = 730
#: Monte Carlo draws of a replayed quarter's pipeline (its interval is not shown).
REPLAY_SIMULATIONS = 100


def quarter_of(day: date) -> tuple[date, date]:
    """``[start, end)`` of the calendar quarter holding ``day``.

    Examples
    --------
    >>> quarter_of(date(2026, 12, 4))
    (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    """
    period = pd.Period(day, freq="Q")
    return period.start_time.date(), (period + 1).start_time.date()


@dataclass(frozen=True)
class QuarterOutlook:
    """The quarter of as_of against its plan.

    Attributes
    ----------
    start, end : date
        The quarter, ``[start, end)``.
    won_so_far : float
        Revenue won in the quarter before as_of.
    rest, rest_low, rest_high : float
        The combined forecast of the rest of the quarter, and its interval.
    plan : float
        The quotas of the quarter (0 without quotas).
    win_rate : float
        Today's win rate of the deals that reached the first stage (won ÷ closed).
    """

    start: date
    end: date
    won_so_far: float
    rest: float
    rest_low: float
    rest_high: float
    plan: float
    win_rate: float

    @property
    def forecast(self) -> float:
        """Won so far + the forecast of the rest."""
        return self.won_so_far + self.rest

    @property
    def gap(self) -> float:
        """Plan − forecast (negative: the forecast is above the plan)."""
        return self.plan - self.forecast

    @property
    def pipeline_needed(self) -> float:
        """The open pipeline that closes the gap at today's win rate (0 without a gap)."""
        if self.gap <= 0 or not self.win_rate > 0:
            return 0.0
        return self.gap / self.win_rate


@dataclass(frozen=True)
class ForecastReport:
    """The forecasts at as_of (see the module docstring).

    Attributes
    ----------
    as_of : date
        When the forecast is made (nothing on or after it is read).
    currency : str or None
        The amounts' unit.
    series : MonthlySeries
        Won revenue by close month.
    backtest : BacktestResult or None
        The candidates' rolling-origin backtest (None when the history is too short).
    time_series : ModelForecast
        The chosen model's forecast of the :data:`HORIZON_MONTHS` months.
    pipeline : PipelineForecast
        The open deals' forecast of the same months.
    months : DataFrame
        Per month: ``month``, ``won_so_far`` (the running month's won revenue; 0 after),
        ``time_series`` (the rest of the month: the model's month less what is won),
        ``ts_low``, ``ts_high``, ``pipeline``, ``pipe_low``, ``pipe_high``, ``combined``,
        ``low``, ``high`` (the weighted sums of the two intervals: a simple bound, not a
        joint distribution).
    weight : float
        The time series' weight in the combination.
    quarter : QuarterOutlook
        The quarter of as_of against its plan.
    """

    as_of: date
    currency: str | None
    series: MonthlySeries
    backtest: BacktestResult | None
    time_series: ModelForecast
    pipeline: PipelineForecast
    months: pd.DataFrame
    weight: float
    quarter: QuarterOutlook


def history_filters(filters: Filters, as_of: date) -> Filters:
    """The filters' lists over :data:`HISTORY_YEARS` whole years of months before ``as_of``.

    Examples
    --------
    >>> history_filters(Filters(date(2026, 1, 1), date(2026, 7, 1)), date(2026, 6, 15)).start
    datetime.date(2021, 6, 1)
    """
    first = pd.Timestamp(as_of).to_period("M").start_time - pd.DateOffset(years=HISTORY_YEARS)
    return filters.shifted(first.date(), as_of)


def forecast_filters(filters: Filters) -> Filters:
    """What a forecast reads of ``filters``: the narrowing lists and the as_of (the day before
    it stands for the period, which no forecast uses), so that views differing only in their
    period share one forecast and one cache entry.

    Examples
    --------
    >>> basis = forecast_filters(Filters(date(2026, 1, 1), date(2026, 7, 1), teams=(2,)))
    >>> basis.start, basis.end, basis.teams
    (datetime.date(2026, 6, 30), datetime.date(2026, 7, 1), (2,))
    """
    as_of = filters.as_of or filters.end
    return filters.shifted(as_of - timedelta(days=1), as_of)


def _open_deals(
    bind: Bind, filters: Filters, scope: Scope, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """The open deals at ``as_of`` with their ``p_win`` (their stage's win rate), the cycle
    times their close months come from, and the first stage's win rate (no deal is counted
    when no deal was created in the cohort: their cycle times are unknown).
    """
    cohort = filters.shifted(as_of - timedelta(days=COHORT_DAYS), as_of)
    at = filters.shifted(as_of - timedelta(days=1), as_of)
    read = gather(
        bind,
        {
            "stages": lambda b: funnel_stages(b, filters.pipeline, scope),
            "facts": lambda b: funnel_facts(b, cohort, scope, reach_only=True),
            "deals": lambda b: open_deal_features(b, at, scope),
            "cycles": lambda b: deal_cycle_times(b, cohort, scope),
        },
    )
    rates = stage_win_rates(read["facts"], read["stages"])
    known = rates["win_rate"].dropna()
    overall = float(known.iloc[0]) if len(known) else 0.0
    deals = read["deals"]
    if read["cycles"].empty:  # no deal created in the cohort: no cycle time to spread them by
        deals = deals.iloc[:0]
    deals = deals.assign(p_win=np.nan_to_num(stage_probability(deals, rates), nan=overall))
    return deals, read["cycles"], overall


def _months(series: MonthlySeries, ts: ModelForecast, pipe: PipelineForecast,
            weight: float) -> pd.DataFrame:  # fmt: skip
    """The per-month table of :class:`ForecastReport`: ``weight`` combines the months of the
    running quarter; later months are the time series' alone (the pipeline holds only the deals
    open now, not those a later month's revenue will mostly come from).
    """
    months = series.future_months(HORIZON_MONTHS)
    _start, end = quarter_of(series.as_of.date())
    weights = np.where(months < pd.Timestamp(end), weight, 1.0)
    won = np.zeros(len(months))
    if series.partial_month is not None:
        won[0] = series.partial_value
    rest = np.maximum(ts.mean - won, 0.0)
    ts_low, ts_high = np.maximum(ts.lower - won, 0.0), np.maximum(ts.upper - won, 0.0)
    by_month = pipe.by_month.set_index("month").reindex(months, fill_value=0.0)
    frame = pd.DataFrame({
        "month": months, "won_so_far": won, "time_series": rest, "ts_low": ts_low,
        "ts_high": ts_high, "pipeline": by_month["expected"].to_numpy(),
        "pipe_low": by_month["low"].to_numpy(), "pipe_high": by_month["high"].to_numpy(),
    })  # fmt: skip
    return frame.assign(
        combined=combine(frame["time_series"], frame["pipeline"], weights),
        low=combine(frame["ts_low"], frame["pipe_low"], weights),
        high=combine(frame["ts_high"], frame["pipe_high"], weights),
    )


def _rest(months: pd.DataFrame, start: date, end: date) -> tuple[float, float, float]:
    """The combined forecast of the months of ``[start, end)`` and its interval, summed."""
    inside = months.loc[
        (months["month"] >= pd.Timestamp(start)) & (months["month"] < pd.Timestamp(end))
    ]
    return float(inside["combined"].sum()), float(inside["low"].sum()), float(inside["high"].sum())


def _quarter(bind: Bind, filters: Filters, scope: Scope, series: MonthlySeries,
             months: pd.DataFrame, as_of: date, win_rate: float) -> QuarterOutlook:  # fmt: skip
    """The quarter of ``as_of``: won so far (complete months and the running one), the rest."""
    start, end = quarter_of(as_of)
    complete = series.history.loc[series.history.index >= pd.Timestamp(start)].sum()
    running = months.loc[months["month"] < pd.Timestamp(end), "won_so_far"].sum()
    rest, low, high = _rest(months, start, end)
    return QuarterOutlook(
        start=start, end=end, won_so_far=float(complete + running), rest=rest, rest_low=low,
        rest_high=high, plan=quota_total(bind, filters, scope, start, end), win_rate=win_rate,
    )  # fmt: skip


def forecast_report(
    bind: Bind,
    filters: Filters,
    scope: Scope,
    weight: float = 0.5,
    simulations: int = SIMULATIONS,
) -> ForecastReport:
    """The forecasts at ``filters``' as_of (see the module docstring).

    Parameters
    ----------
    bind : Engine or Connection
        The CRM database.
    filters, scope : Filters, Scope
        Whose deals, and the as_of the forecast is made at.
    weight : float
        The time series' weight in the combined forecast (from the track record,
        :func:`analytics.forecast_combination.track_record`; 0.5 by default).
    simulations : int
        Monte Carlo draws of the pipeline's interval.

    Examples
    --------
    >>> report = forecast_report(engine, filters, Scope.everyone())  # doctest: +SKIP
    >>> report.quarter.forecast, report.quarter.plan  # doctest: +SKIP
    (4120000.0, 4500000.0)
    """
    as_of = filters.as_of or filters.end
    flow = deal_flow_by_month(bind, history_filters(filters, as_of), scope)
    series = monthly_series(flow.set_index("month")["won_amount"], as_of)
    tested, ts = auto_forecast(series, HORIZON_MONTHS)
    deals, cycles, win_rate = _open_deals(bind, filters, scope, as_of)
    pipe = pipeline_forecast(deals, cycles, as_of, months=HORIZON_MONTHS, simulations=simulations)
    months = _months(series, ts, pipe, weight)
    currency, _mixed = main_currency(bind, scope)
    return ForecastReport(
        as_of=as_of, currency=currency, series=series, backtest=tested, time_series=ts,
        pipeline=pipe, months=months, weight=weight,
        quarter=_quarter(bind, filters, scope, series, months, as_of, win_rate),
    )  # fmt: skip


def with_weight(report: ForecastReport, weight: float) -> ForecastReport:
    """``report`` with the time series weighted ``weight`` in the combined forecast (the
    components unchanged: no query runs again).
    """
    months = _months(report.series, report.time_series, report.pipeline, weight)
    rest, low, high = _rest(months, report.quarter.start, report.quarter.end)
    quarter = replace(report.quarter, rest=rest, rest_low=low, rest_high=high)
    return replace(report, months=months, weight=weight, quarter=quarter)


def replay_dates(as_of: date, first_data: date, quarters: int = 8) -> list[date]:
    """The middles (the 46th day) of the last ``quarters`` whole quarters before ``as_of``
    with a year of data before them (the first one at least a year after ``first_data``).

    Examples
    --------
    >>> replay_dates(date(2026, 12, 4), date(2024, 1, 1), quarters=3)
    [datetime.date(2026, 2, 15), datetime.date(2026, 5, 16), datetime.date(2026, 8, 15)]
    """
    start, _end = quarter_of(as_of)
    days = []
    for back in range(quarters, 0, -1):
        q_start = (pd.Timestamp(start) - pd.DateOffset(months=3 * back)).date()
        made = q_start + timedelta(days=45)
        if made >= first_data + timedelta(days=365):
            days.append(made)
    return days


def quarters_to_replay(report: ForecastReport) -> list[date]:
    """:func:`replay_dates` of ``report``: before its as_of, from its first month with won
    revenue (none without any).
    """
    history = report.series.history
    won = history.loc[history > 0]
    return replay_dates(report.as_of, won.index.min().date()) if len(won) else []


def replay_quarter(bind: Bind, filters: Filters, scope: Scope, made_on: date) -> dict[str, object]:
    """The forecast of ``made_on``'s quarter as made that day (data before it only), with the
    quarter's actual won revenue.

    Returns
    -------
    dict
        ``quarter`` (its first day), ``made_on``, ``won_so_far``, ``time_series`` and
        ``pipeline`` (each method's forecast of the rest of the quarter), ``actual`` (the
        quarter's won revenue, read at the quarter's end: a replayed quarter is over),
        ``model`` (the time-series model chosen then) — a row of
        :func:`analytics.forecast_combination.track_record`'s input.
    """
    start, end = quarter_of(made_on)
    then = replace(filters.shifted(start, end), as_of=made_on)
    report = forecast_report(bind, then, scope, simulations=REPLAY_SIMULATIONS)
    inside = report.months.loc[report.months["month"] < pd.Timestamp(end)]
    actual_flow = deal_flow_by_month(bind, filters.shifted(start, end), scope)
    return {
        "quarter": pd.Timestamp(start), "made_on": pd.Timestamp(made_on),
        "won_so_far": report.quarter.won_so_far,
        "time_series": float(inside["time_series"].sum()),
        "pipeline": float(inside["pipeline"].sum()),
        "actual": float(actual_flow["won_amount"].sum()),
        "model": report.time_series.model,
    }  # fmt: skip


#: Past quarters replayed at once: one replay's queries run while another's models are fitted
#: (the fits hold the interpreter, the database does not).
REPLAYS_AT_ONCE = 2


def replay_quarters(
    bind: Bind, filters: Filters, scope: Scope, days: tuple[date, ...]
) -> list[dict[str, object]]:
    """:func:`replay_quarter` of each of ``days``, :data:`REPLAYS_AT_ONCE` at a time (on a
    database that gives each thread its own connection), in the order given.

    Examples
    --------
    >>> rows = replay_quarters(engine, filters, Scope.everyone(),
    ...                        (date(2026, 2, 15), date(2026, 5, 16)))  # doctest: +SKIP
    >>> [row["quarter"] for row in rows]  # doctest: +SKIP
    [Timestamp('2026-01-01 00:00:00'), Timestamp('2026-04-01 00:00:00')]
    """
    calls = {day: partial(replay_quarter, filters=filters, scope=scope, made_on=day)
             for day in days}  # fmt: skip
    done = gather(bind, calls, workers=REPLAYS_AT_ONCE)
    return [done[day] for day in days]


#: The columns of :func:`segment_outlook` and :func:`rep_outlook` after the segment's.
OUTLOOK_COLUMNS = ["won_so_far", "forecast", "low", "high", "plan", "gap_to_plan",
                   "forecast_share"]  # fmt: skip


def _outlook_row(won: float, rest: float, low: float, high: float, plan: float) -> dict[str, float]:
    """One row of :data:`OUTLOOK_COLUMNS`; the plan's columns are NaN without a plan."""
    forecast = won + rest
    return {
        "won_so_far": won, "forecast": forecast, "low": won + low, "high": won + high,
        "plan": plan if plan else float("nan"),
        "gap_to_plan": plan - forecast if plan else float("nan"),
        "forecast_share": forecast / plan if plan else float("nan"),
    }  # fmt: skip


def segment_outlook(
    reports: dict[str, ForecastReport], weight: float, segment: str = "team", *,
    with_plan: bool = True,
) -> pd.DataFrame:  # fmt: skip
    """The quarter of each segment's forecast side by side, each weighted ``weight`` (the
    company's track record: a segment's own quarters are too few to weight it).

    Parameters
    ----------
    reports : dict
        Segment name → :func:`forecast_report` of the filters narrowed to that segment.
    weight : float
        The time series' weight.
    segment : str
        The name of the first column (``team``, ``region``, ``product_line``).
    with_plan : bool
        False for segments quotas do not belong to (a region, a product line: a quota is a
        rep's), whose plan columns are NaN.

    Returns
    -------
    DataFrame
        ``segment`` and :data:`OUTLOOK_COLUMNS`: ``won_so_far``, ``forecast``, ``low``,
        ``high``, ``plan`` (NaN without one), ``gap_to_plan`` (plan − forecast),
        ``forecast_share`` (forecast ÷ plan); in the order given.  Each segment has its own
        model: the segments' forecasts need not add up to the company's.
    """
    rows = []
    for name, report in reports.items():
        q = with_weight(report, weight).quarter
        plan = q.plan if with_plan else 0.0
        rows.append({segment: name, **_outlook_row(q.won_so_far, q.rest, q.rest_low,
                                                   q.rest_high, plan)})  # fmt: skip
    return pd.DataFrame(rows, columns=[segment, *OUTLOOK_COLUMNS])


#: Monte Carlo draws of the reps' intervals (one run for all reps).
REP_SIMULATIONS = 500


def rep_outlook(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Each rep's quarter against their quota: won so far + their open deals expected to be
    won in the rest of the quarter (the pipeline alone: a rep's monthly revenue is too sparse
    for a time series of its own), with the Monte Carlo interval.

    Parameters
    ----------
    bind : Engine or Connection
        The CRM database.
    filters, scope : Filters, Scope
        Whose deals and quotas, and the as_of of the forecast (as for :func:`forecast_report`;
        the open deals and their chances are the same as its pipeline's).

    Returns
    -------
    DataFrame
        ``employee_id``, ``name`` (the rep) and :data:`OUTLOOK_COLUMNS`, plus ``open_deals``
        (open deals counted) and ``pipeline`` (their expected revenue in the quarter); one
        row per rep with a quota, a won deal in the quarter or an open deal; the lowest
        forecast ÷ plan first, then by name.
    """
    as_of = filters.as_of or filters.end
    start, end = quarter_of(as_of)
    deals, cycles, _rate = _open_deals(bind, filters, scope, as_of)
    months_left = len(pd.period_range(as_of, end - timedelta(days=1), freq="M"))
    pipe = pipeline_by_group(deals, cycles, as_of, months_left, "owner_id",
                             simulations=REP_SIMULATIONS)  # fmt: skip
    quarter = replace(filters.shifted(start, end), as_of=as_of)
    won = won_deal_moments(bind, quarter, scope)[["employee_id", "amount_sum"]]
    quotas = quotas_by_rep(bind, filters, scope, start, end)[["employee_id", "quota"]]
    reps = (
        pipe.rename(columns={"owner_id": "employee_id", "deals": "open_deals"})
        .astype({"employee_id": "int64"})
        .merge(won, on="employee_id", how="outer")
        .merge(quotas, on="employee_id", how="outer")
        .fillna({"open_deals": 0, "expected": 0.0, "low": 0.0, "high": 0.0,
                 "amount_sum": 0.0, "quota": 0.0})
    )  # fmt: skip
    names = people(bind).set_index("employee_id")["name"]
    rows = [
        {"employee_id": int(r["employee_id"]), "name": str(names.get(r["employee_id"], "")),
         **_outlook_row(float(r["amount_sum"]), float(r["expected"]), float(r["low"]),
                        float(r["high"]), float(r["quota"])),
         "open_deals": int(r["open_deals"]), "pipeline": float(r["expected"])}
        for r in reps.to_dict("records")
    ]  # fmt: skip
    columns = ["employee_id", "name", *OUTLOOK_COLUMNS, "open_deals", "pipeline"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["forecast_share", "name"], na_position="last").reset_index(drop=True)
