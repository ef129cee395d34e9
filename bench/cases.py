"""The benchmarked cases: every query function of ``crm_data.queries`` under one ``Filters``,
the reports pages show, the data-quality checks, and naive "read the tables into pandas"
versions of reports to compare with.

Each case is ``fn(engine, filters) -> result`` and runs with the unrestricted scope, which is
the largest result a user can ask for.  ``RUNS`` lowers the warm repetitions of slow cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from analytics.pipeline_forecast import WinModel
from appdb.plans import StoredItem, StoredPlan
from bench.naive_funnel import naive_funnel
from crm_data import queries
from crm_data.demo import load_truth
from crm_data.filters import Filters, Scope
from crm_data.quality import run_quality_checks
from crm_data.queries.pipeline_training import pipeline_training_rows
from i18n import use_language
from reports.activity import activity_report
from reports.clv import customer_values
from reports.customers import customer_view
from reports.demand_forecast import demand_forecast
from reports.forecast import (
    REPLAYS_AT_ONCE,
    forecast_report,
    quarters_to_replay,
    rep_outlook,
    replay_quarters,
)
from reports.funnel import funnel_report, pipeline_change
from reports.incentives import incentive_report
from reports.overview import overview_report
from reports.performance import (
    board_limits,
    quota_attainment,
    rep_board,
    team_board,
    weak_spots,
)
from reports.rep_profile import rep_profile
from reports.segments import segments_report

__all__ = ["CASES", "COLD_RUNS", "RUNS", "bench_filters"]

Case = Callable[[Engine, Filters], Any]
_ALL = Scope.everyone()


def _month_ends(filters: Filters) -> list[date]:
    """The first day of every month in the period: twelve snapshot dates for a year."""
    dates: list[date] = []
    day = filters.start.replace(day=1)
    while day < filters.end:
        dates.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return dates


def _snapshots(engine: Engine, filters: Filters) -> pd.DataFrame:
    return queries.pipeline_snapshots(engine, filters, _ALL, _month_ends(filters))


def _weekly_activities(engine: Engine, filters: Filters) -> pd.DataFrame:
    return queries.activities_by_rep_type_period(engine, filters, _ALL, unit="week")


def _scoped(fn: Callable[..., pd.DataFrame]) -> Case:
    def case(engine: Engine, filters: Filters) -> pd.DataFrame:
        return fn(engine, filters, _ALL)

    return case


def _largest_won(engine: Engine, filters: Filters) -> pd.DataFrame:
    return queries.largest_deals(engine, filters, _ALL, "won")


def _quality(engine: Engine, filters: Filters) -> Any:
    return run_quality_checks(engine, filters.end_ts)


def _pipeline_pairs(engine: Engine, filters: Filters) -> pd.DataFrame:
    return queries.pipeline_pairs(engine, filters, _ALL, filters.start, filters.end)


def _funnel_by_team(engine: Engine, filters: Filters) -> pd.DataFrame:
    return queries.funnel_facts(engine, filters, _ALL, group="team")


def _strict_facts(engine: Engine, filters: Filters) -> pd.DataFrame:
    return queries.funnel_facts(engine, filters, _ALL, strict=True)


def _funnel_cached(engine: Engine, filters: Filters) -> Any:
    """The funnel report as the app serves it: computed once, then from ``st.cache_data``."""
    from ui.cache import cached_report  # Streamlit only for this case

    return cached_report(funnel_report, engine, filters, _ALL, False)


def _bench_plan(filters: Filters) -> StoredPlan:
    """The company-wide plan the incentive benchmark scores, over the benchmark period (as the
    app scores a stored version; storing it is the app database's, not benchmarked here).
    """
    items = (StoredItem("won_revenue", 0.4, target=500_000.0, threshold=0.5, cap=1.5),
             StoredItem("new_deals", 0.2, target=40.0, cap=1.2),
             StoredItem("followup_compliance", 0.2, target=0.9, cap=1.2),
             StoredItem("activities_per_day", 0.2, target=6.0, cap=1.2))  # fmt: skip
    return StoredPlan("bench-plan", 1, "Benchmark plan", filters.start, filters.end, None, 0.0,
                      datetime(2026, 1, 1), None, items)  # fmt: skip


def _incentives(engine: Engine, filters: Filters) -> Any:
    """Score the benchmark plan for every rep."""
    return incentive_report(engine, _ALL, _bench_plan(filters), filters.end).scorecard.summary


def _overview_page_in(language: str) -> Case:
    """The Overview page's data in ``language``: the report (labels translated as it runs),
    every card's value and change formatted, and the largest-won table labelled, as the page
    draws them (the Streamlit calls themselves are not timed)."""

    def case(engine: Engine, filters: Filters) -> Any:
        from ui.format import format_delta, format_value  # Streamlit only for this case
        from ui.labels import labelled

        with use_language(language):
            report = overview_report(engine, filters, _ALL)
            cards = [
                (kpi.label, format_value(kpi.value, kpi.unit, report.currency),
                 format_delta(kpi.delta, kpi.unit, report.currency))
                for kpi in report.kpis
            ]  # fmt: skip
            columns = ["deal_id", "title", "account", "owner", "amount", "closed_at"]
            table, _config = labelled(report.won, columns, currency=report.currency)
        return cards, table

    return case


def _pipeline_change(engine: Engine, filters: Filters) -> Any:
    return pipeline_change(engine, filters, _ALL, filters.start, filters.end).waterfall


def _called(report: Callable[..., Any], engine: Engine, *args: Any) -> Any:
    return report(engine, *args)


def _app_cached(report: Callable[..., Any], engine: Engine, *args: Any) -> Any:
    from ui.cache import cached_report  # Streamlit only for the app-cache cases

    return cached_report(report, engine, *args)


def _performance_page(run: Callable[..., Any]) -> Case:
    """The Performance page's data on first load, each report called through ``run``: the
    win-rate leaderboard with its funnel plot's limits, the weak spots, the teams, the quota
    attainment (every tab is drawn on first load) and the profile of the rep with the most
    closed deals (the largest profile; the page opens the best-ranked rep's).  The result is
    the leaderboard (one row per rep compared).
    """

    def case(engine: Engine, filters: Filters) -> pd.DataFrame:
        board = run(rep_board, engine, filters, _ALL, "win_rate")
        board_limits(board)
        run(weak_spots, engine, filters, _ALL)
        run(team_board, engine, filters, _ALL)
        run(quota_attainment, engine, filters, _ALL)
        if not board.table.empty:
            busiest = int(board.table.loc[board.table["size"].idxmax(), "rep_id"])
            run(rep_profile, engine, filters, _ALL, busiest)
        return board.table

    return case


def _segments(run: Callable[..., Any]) -> Case:
    """The Segments report (RFM scores and segments, ABC, cohort retention, segment profiles,
    k-means clusters), called through ``run``; the result is its customer table (one row per
    customer).
    """

    def case(engine: Engine, filters: Filters) -> pd.DataFrame:
        customers: pd.DataFrame = run(segments_report, engine, filters, _ALL).customers
        return customers

    return case


def _customer_values(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Fit the CLV models (modified BG/NBD, Gamma-Gamma) on every customer and value them."""
    return customer_values(engine, filters, _ALL).table


def _customer_360(engine: Engine, filters: Filters) -> Any:
    """The Customers page's 360 view of the customer of the latest order (its own records:
    profile, order totals, orders, deals, activities, tickets, campaigns, KPIs and timeline);
    the scope-wide segments and CLV it shows are the cases above, cached once per data version.
    """
    with engine.connect() as conn:
        account = conn.execute(
            sa.text("SELECT account_id FROM orders ORDER BY ordered_at DESC, id DESC LIMIT 1")
        ).scalar_one()
    return customer_view(engine, filters, _ALL, int(account))


def _forecast(engine: Engine, filters: Filters) -> Any:
    """The Forecast page's forecast at as_of: series, backtest, guarded forecast, pipeline
    forecast with its Monte Carlo interval, the quarter against its quotas.
    """
    return forecast_report(engine, filters, _ALL)


def _track_record(engine: Engine, filters: Filters) -> pd.DataFrame:
    """The Forecast page's track record: the forecast replayed at the middle of up to 8 past
    quarters, each on the data before its day (the page runs it with a progress bar).
    """
    days = quarters_to_replay(forecast_report(engine, filters, _ALL))
    return pd.DataFrame(replay_quarters(engine, filters, _ALL, tuple(days)))


def _forecast_page(engine: Engine, filters: Filters) -> pd.DataFrame:
    """The Forecast page's first view as the app serves it: the forecast, then the track
    record's replays :data:`~reports.forecast.REPLAYS_AT_ONCE` at a time, each through the
    app cache (cold: computed; warm: every piece a cache hit).
    """
    from ui.cache import cached_report  # Streamlit only for the app-cache cases

    days = quarters_to_replay(cached_report(forecast_report, engine, filters, _ALL))
    replays = []
    for first in range(0, len(days), REPLAYS_AT_ONCE):
        pair = tuple(days[first : first + REPLAYS_AT_ONCE])
        replays += cached_report(replay_quarters, engine, filters, _ALL, pair)
    return pd.DataFrame(replays)


def _win_model(engine: Engine, filters: Filters) -> WinModel:
    """The calibrated win model as the forecasting notebook trains it: the open deals at the
    first day of each of the 24 months before the end (features known then, labels known at
    the end), fitted on the matured rows.
    """
    end = pd.Timestamp(filters.end)
    dates = [(end.to_period("M") - k).start_time.date() for k in range(24, 0, -1)]
    known = Filters((end - pd.DateOffset(years=2)).date(), filters.end)
    return WinModel().fit(pipeline_training_rows(engine, known, _ALL, dates))


def _forecast_by_team(engine: Engine, filters: Filters) -> list[Any]:
    """The Forecast page's breakdown by team: each team's own forecast (filters narrowed to
    it), one after the other as the page runs them under a progress bar.
    """
    teams = queries.filter_options(engine, _ALL).teams["team_id"]
    return [forecast_report(engine, replace(filters, teams=(int(t),)), _ALL) for t in teams]


def _forecast_by_rep(engine: Engine, filters: Filters) -> pd.DataFrame:
    """The Forecast page's breakdown by rep: won so far, each rep's open deals for the rest of
    the quarter from one grouped Monte Carlo run, the quotas.
    """
    return rep_outlook(engine, filters, _ALL)


def _demand(engine: Engine, filters: Filters) -> pd.DataFrame:
    """The Forecast page's demand forecast by product line: five years of order items by month
    and product, each line's backtest and guarded forecast, and the total's.
    """
    return demand_forecast(engine, filters, _ALL, "product_line", "revenue").segments


CASES: dict[str, Case] = {
    "open_pipeline_by_stage": _scoped(queries.open_pipeline_by_stage),
    "pipeline_snapshots (12 dates)": _snapshots,
    "stage_high_water_marks": _scoped(queries.stage_high_water_marks),
    "stage_visits": _scoped(queries.stage_visits),
    "stuck_deal_candidates": _scoped(queries.stuck_deal_candidates),
    "deals_closed": _scoped(queries.deals_closed),
    "activities_by_rep_type_period (week)": _weekly_activities,
    "orders_by_month": _scoped(queries.orders_by_month),
    "customer_summary": _scoped(queries.customer_summary),
    "deal_flow_by_month": _scoped(queries.deal_flow_by_month),
    "largest_deals (won)": _largest_won,
    "customer_contacts": _scoped(queries.customer_contacts),
    "count_overdue_activities": _scoped(queries.count_overdue_activities),
    "filter_options": lambda engine, _filters: queries.filter_options(engine, _ALL),
    "funnel_facts": _scoped(queries.funnel_facts),
    "funnel_facts (strict)": _strict_facts,
    "funnel_facts (by team)": _funnel_by_team,
    "stage_durations": _scoped(queries.stage_durations),
    "stage_transitions": _scoped(queries.stage_transitions),
    "closed_deal_stats": _scoped(queries.closed_deal_stats),
    "lost_deal_reasons": _scoped(queries.lost_deal_reasons),
    "pipeline_pairs (period start, end)": _pipeline_pairs,
    "overview_report (period + comparison)": _scoped(overview_report),
    "overview page data, English": _overview_page_in("en"),
    "overview page data, Russian": _overview_page_in("ru"),
    "funnel_report (period + comparison)": _scoped(funnel_report),
    "funnel_report, app cache (warm = hit)": _funnel_cached,
    "pipeline_change report": _pipeline_change,
    "activity_report (period + comparison)": _scoped(activity_report),
    "incentive_report (4 items, history, signals)": _incentives,
    "performance report (first load)": _performance_page(_called),
    "performance report, app cache (warm = hit)": _performance_page(_app_cached),
    "segments_report (RFM, ABC, cohorts, profiles, clusters)": _segments(_called),
    "segments_report, app cache (warm = hit)": _segments(_app_cached),
    "customer_values (CLV fit, every customer)": _customer_values,
    "customer_view (the 360 view of one customer)": _customer_360,
    "forecast_report (series, backtest, pipeline, quarter)": _forecast,
    "forecast track record (8 replayed quarters)": _track_record,
    "forecast page data (forecast, track record), app cache (warm = hit)": _forecast_page,
    "forecast by team (each team's forecast)": _forecast_by_team,
    "forecast by rep (grouped pipeline, quotas)": _forecast_by_rep,
    "pipeline win model training (24 monthly snapshots)": _win_model,
    "demand forecast (by product line)": _demand,
    "naive funnel (tables into pandas)": naive_funnel,
    "run_quality_checks": _quality,
}

#: Warm repetitions of cases too slow for the default (the naive versions).
RUNS: dict[str, int] = {"naive funnel (tables into pandas)": 1,
                        "forecast by team (each team's forecast)": 1,
                        "pipeline win model training (24 monthly snapshots)": 1}  # fmt: skip
#: Fresh-engine (cold) repetitions where the default does not fit: too slow, or only the first
#: call is cold (later ones are served by the app cache, which outlives the engine).
COLD_RUNS: dict[str, int] = {
    "naive funnel (tables into pandas)": 1,
    "forecast by team (each team's forecast)": 1,
    "pipeline win model training (24 monthly snapshots)": 1,
    "funnel_report, app cache (warm = hit)": 1,
    "performance report, app cache (warm = hit)": 1,
    "segments_report, app cache (warm = hit)": 1,
    "forecast page data (forecast, track record), app cache (warm = hit)": 1,
}


def bench_filters(engine: Engine) -> Filters:
    """The last twelve months of the demo company (up to the generator's end date)."""
    end = date.fromisoformat(str(load_truth(engine)["generator"]["end"]))
    start = date(end.year - 1, end.month, 1)
    return Filters(start, end)
