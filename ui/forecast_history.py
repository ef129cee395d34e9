"""The Forecast page's history: the forecasts it shows, kept in the app database
(:mod:`appdb.forecasts`) under a key for the view, and read back to judge them later.

Only the views a key names are kept: the whole company (an admin, exec or analyst without
narrowing filters), a head's team and a rep's own forecast; a view narrowed by filters is not.
A database that does not answer loses the history, never the page.
"""

from __future__ import annotations

import logging

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from access.roles import Role
from analytics.forecast_combination import weight_from_history
from appdb.forecasts import RecordedForecast, forecast_history, record_forecasts
from crm_data.errors import CrmDataError
from crm_data.filters import Filters, Scope
from i18n import _
from reports.forecast import ForecastReport, forecast_report
from ui.cache import cached_report
from ui.engine import get_databases

__all__ = ["kept_forecasts", "kept_weight", "optional_forecast", "remember", "segment_key"]

_LOG = logging.getLogger(__name__)


def segment_key(filters: Filters, scope: Scope) -> str | None:
    """The key the forecast history keeps this view's forecasts under (None: a view narrowed
    by filters, whose forecasts are not kept).
    """
    narrowed = (filters.teams, filters.reps, filters.regions, filters.product_lines,
                filters.segments, filters.pipeline)  # fmt: skip
    if any(narrowed):
        return None
    if scope.role == Role.REP:
        return f"rep:{scope.employee_id}"
    if scope.role == Role.HEAD:
        return f"team:{scope.team_id}"
    return "company"


def remember(report: ForecastReport, record: pd.DataFrame, key: str) -> None:
    """Keep the quarter's forecast, and the replayed ones as made on their days, in the app
    database; a failure says so and shows the page anyway.
    """
    q = report.quarter
    rows = [RecordedForecast(report.as_of, q.start, q.end, key, "combined", q.forecast,
                             q.won_so_far + q.rest_low, q.won_so_far + q.rest_high)]  # fmt: skip
    for past in record.to_dict("records"):
        start = past["quarter"].date()
        end = (past["quarter"] + pd.DateOffset(months=3)).date()
        rows.append(RecordedForecast(past["made_on"].date(), start, end, key, past["method"],
                                     past["forecast"]))  # fmt: skip
    try:
        record_forecasts(get_databases().app, rows)
    except sa.exc.SQLAlchemyError:
        st.caption(_("The forecast history could not be saved: the app database did not answer."))


def kept_forecasts(key: str) -> pd.DataFrame:
    """The combined forecasts kept under ``key`` (empty when the app database does not
    answer).
    """
    try:
        return forecast_history(get_databases().app, [key], models=["combined"])
    except sa.exc.SQLAlchemyError:
        return pd.DataFrame()


def kept_weight(key: str | None, revenue: pd.Series) -> float:
    """The combination weight the kept forecasts of ``key`` give (the Forecast page's track
    record, once it was shown; 0.5 before, for a view without a key, or when the app database
    does not answer).
    """
    if key is None:
        return 0.5
    try:
        kept = forecast_history(get_databases().app, [key], models=["time_series", "pipeline"])
    except sa.exc.SQLAlchemyError:
        return 0.5
    return weight_from_history(kept, revenue)


def optional_forecast(engine: sa.Engine, filters: Filters, scope: Scope) -> ForecastReport | None:
    """The forecast for a page where it is an extra (the Overview's card): None when the
    database cannot give it (a hand-made database without quotas or stage history), so the
    rest of the page stands; the Forecast page itself shows such an error in full.
    """
    try:
        return cached_report(forecast_report, engine, filters, scope)
    except (sa.exc.SQLAlchemyError, CrmDataError):
        _LOG.warning("The forecast card is left out: the forecast failed", exc_info=True)
        return None
