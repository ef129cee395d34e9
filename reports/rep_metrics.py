"""Metrics per rep and period, for scorecards and rep comparisons (DESIGN.md §6).

Each function takes ``(bind, filters, scope)`` and returns a float Series indexed by the deal
owner's employee id (``rep_id``; for activity metrics the employee who did the activities, for
service metrics the ticket's assignee),
named by the metric key; reps without any deal in the basis of
a metric are absent (a rate is then undefined, a count is 0 — callers reindex as they need).
The definitions are those of the metric catalogue (``reports.catalogue``) and METRICS.md; the
queries group by ``rep_id`` in SQL.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from analytics.activity import (
    active_conversations_by,
    activities_per_working_day,
    data_discipline,
    followup_compliance,
    lead_response,
    next_step_coverage,
    rep_working_days,
)
from analytics.funnel import regression_rate, sales_cycle, win_rates
from analytics.pipeline import velocity_table
from analytics.service import resolution_time, satisfaction
from crm_data.filters import Filters, Scope
from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.activity_kpis import employment_spans, followup_stats, lead_response_times
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import closed_deal_stats, funnel_facts, open_deal_counts
from crm_data.queries.pipeline import stuck_deal_candidates
from crm_data.queries.service import ticket_outcomes, ticket_resolution_times
from reports.stuck import flag_stuck
from reports.trailing import velocity_closed

__all__ = ["PER_REP", "RepMetric", "rep_actuals"]

RepMetric = Callable[[Bind, Filters, Scope], pd.Series]

_REP = "rep_id"


def _indexed(frame: pd.DataFrame, id_column: str, column: str, key: str) -> pd.Series:
    """``frame[column]`` indexed by the integer employee id in ``id_column`` (the ``group`` of a
    ``rep_id`` grouping, an employee or owner column; rows without one dropped).
    """
    rows = frame.dropna(subset=[id_column])
    values = rows.set_index(rows[id_column].astype("int64"))[column].astype("float64")
    return values.rename(key).rename_axis("rep_id")


def _closed(key: str, column: str) -> RepMetric:
    """A metric read off the win-rate table of the deals closed in the period."""

    def per_rep(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
        closed = closed_deal_stats(bind, filters, scope, group=_REP, binned=False)
        return _indexed(win_rates(closed, by="group"), "group", column, key)

    per_rep.__doc__ = f"``{column}`` of the deals closed in the period, per owner."
    return per_rep


def _cohort(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    return funnel_facts(bind, filters, scope, group=_REP)


def new_deals(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Deals created in the period, per owner."""
    facts = _cohort(bind, filters, scope)
    counts = facts.groupby("group")["deals"].sum().reset_index()
    return _indexed(counts, "group", "deals", "new_deals")


def regression(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Share of the period's new deals that moved back a stage, per owner."""
    table = regression_rate(_cohort(bind, filters, scope), by="group")
    return _indexed(table, "group", "regression_rate", "regression_rate")


def cycle(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Median sales cycle (days) of the deals won in the period, per owner."""
    closed = closed_deal_stats(bind, filters, scope, group=_REP)
    return _indexed(sales_cycle(closed, by="group"), "group", "median_days", "sales_cycle")


def _open_deals(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    return open_deal_counts(bind, filters, scope, group=_REP)


def open_pipeline(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Amount of the deals open at the period end, per owner."""
    return _indexed(_open_deals(bind, filters, scope), "group", "amount", "open_pipeline")


def velocity(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Sales velocity (money per day) at the period end, per owner."""
    closed = velocity_closed(bind, filters, scope, group=_REP)
    table = velocity_table(_open_deals(bind, filters, scope), closed, by="group")
    return _indexed(table, "group", "per_day", "sales_velocity")


def stuck(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Open deals at the period end over their stage's time limit, per owner (the rule of
    :func:`reports.stuck.flag_stuck`).
    """
    flagged = flag_stuck(bind, filters, scope, stuck_deal_candidates(bind, filters, scope))
    counts = flagged["stuck"].astype("float64").groupby(flagged["owner_id"]).sum()
    return counts.rename("stuck_deals").rename_axis("rep_id")


def _activity_rates(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Activities done per employee over the working days each was employed in the period
    before ``as_of`` (mid-period, the days still to come do not count).
    """
    activities = activities_by_rep_type_period(bind, filters, scope, unit="month")
    until = min(filters.end, filters.as_of or filters.end)
    working = rep_working_days(employment_spans(bind, filters, scope), filters.start, until)
    return activities_per_working_day(activities, working, by="employee_id")


def activities_done(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Activities done in the period by each employee (not the deal owner)."""
    return _indexed(_activity_rates(bind, filters, scope), "employee_id", "activities",
                    "activities_done")  # fmt: skip


def activities_per_day(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Activities done per working day of employment in the period before ``as_of``, per
    employee.
    """
    return _indexed(_activity_rates(bind, filters, scope), "employee_id", "per_working_day",
                    "activities_per_day")  # fmt: skip


def compliance(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Follow-up compliance of each employee's activities due in the period."""
    table = followup_compliance(followup_stats(bind, filters, scope), by="employee_id")
    return _indexed(table, "employee_id", "compliance", "followup_compliance")


def _open_deal_share(share: Callable[..., pd.DataFrame], column: str, key: str) -> RepMetric:
    """A share over the deals open at the period end, per owner."""

    def per_rep(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
        candidates = stuck_deal_candidates(bind, filters, scope)
        return _indexed(share(candidates, filters.as_of_ts, by="owner_id"), "owner_id", column,
                        key)  # fmt: skip

    per_rep.__doc__ = f"``{column}`` over the deals open at the period end, per owner."
    return per_rep


def response(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Median hours from a new deal's creation to its first done activity, per owner."""
    table = lead_response(lead_response_times(bind, filters, scope), by="owner_id")
    return _indexed(table, "owner_id", "median_hours", "lead_response_hours")


def _tickets(column: str, key: str) -> RepMetric:
    """A service metric of the tickets resolved in the period, per assignee."""

    def per_rep(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
        table = satisfaction(ticket_outcomes(bind, filters, scope), by="assignee_id")
        return _indexed(table, "assignee_id", column, key)

    per_rep.__doc__ = f"``{column}`` of the tickets resolved in the period, per assignee."
    return per_rep


def resolution(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Median hours to resolve the tickets opened in the period, per assignee."""
    table = resolution_time(ticket_resolution_times(bind, filters, scope), by="assignee_id")
    return _indexed(table, "assignee_id", "median_hours", "resolution_hours")


#: Metric key -> its per-rep function.
PER_REP: dict[str, RepMetric] = {
    "won_revenue": _closed("won_revenue", "won_amount"),
    "won_deals": _closed("won_deals", "won"),
    "win_rate": _closed("win_rate", "win_rate"),
    "value_win_rate": _closed("value_win_rate", "value_win_rate"),
    "average_won_deal": _closed("average_won_deal", "average_won_amount"),
    "new_deals": new_deals,
    "regression_rate": regression,
    "sales_cycle": cycle,
    "open_pipeline": open_pipeline,
    "sales_velocity": velocity,
    "stuck_deals": stuck,
    "activities_done": activities_done,
    "activities_per_day": activities_per_day,
    "followup_compliance": compliance,
    "next_step_coverage": _open_deal_share(next_step_coverage, "coverage", "next_step_coverage"),
    "active_conversations": _open_deal_share(
        active_conversations_by, "active", "active_conversations"
    ),
    "data_discipline": _open_deal_share(data_discipline, "discipline", "data_discipline"),
    "lead_response_hours": response,
    "tickets_resolved": _tickets("resolved", "tickets_resolved"),
    "csat": _tickets("csat", "csat"),
    "resolution_hours": resolution,
}


def rep_actuals(
    bind: Bind, filters: Filters, scope: Scope, keys: list[str] | tuple[str, ...]
) -> pd.DataFrame:
    """The actual value of every metric of ``keys`` for every rep, long form.

    Returns
    -------
    DataFrame
        ``rep_id`` int, ``metric_key`` str, ``actual`` float; reps without a value for a metric
        (no deal in its basis) are left out of that metric.

    Raises
    ------
    KeyError
        For a metric with no per-rep function, naming those that have one.
    """
    missing = [k for k in keys if k not in PER_REP]
    if missing:
        raise KeyError(
            f"No per-rep value for {', '.join(missing)}; available: {', '.join(PER_REP)}."
        )
    frames = [
        PER_REP[key](bind, filters, scope)
        .dropna()
        .rename("actual")
        .reset_index()
        .assign(metric_key=key)
        for key in keys
    ]
    columns = ["rep_id", "metric_key", "actual"]
    if not frames:
        return pd.DataFrame({"rep_id": [], "metric_key": [], "actual": []}).astype(
            {"rep_id": "int64", "metric_key": "str", "actual": "float64"}
        )
    return pd.concat(frames, ignore_index=True)[columns].astype({"rep_id": "int64"})
