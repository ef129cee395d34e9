"""Metrics per rep and period, for scorecards and rep comparisons (DESIGN.md §6).

Each function takes ``(bind, filters, scope)`` and returns a float Series indexed by the deal
owner's employee id (``rep_id``; for activity metrics the employee who did the activities, for
service metrics the ticket's assignee),
named by the metric key; reps without any deal in the basis of
a metric are absent (a rate is then undefined, a count is 0 — callers reindex as they need).
The definitions are those of the metric catalogue (``reports.catalogue``) and METRICS.md; the
queries group by ``rep_id`` in SQL.

:data:`SAMPLES` gives, for the metrics a fair comparison of reps needs (the Performance page),
the per-rep table behind the value: the sample size it rests on, and the numerator of a rate or
the within-rep variance of a mean, so intervals and shrinkage are computed from the very numbers
the value is (``PER_REP`` reads its value off the same tables).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
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
from crm_data.queries.rep_spread import (
    satisfaction_moments,
    ticket_time_moments,
    won_deal_moments,
)
from crm_data.queries.service import ticket_outcomes, ticket_resolution_times
from reports.stuck import flag_stuck
from reports.trailing import velocity_closed

__all__ = [
    "COMPARED_BY_MEAN",
    "PER_REP",
    "SAMPLES",
    "RepMetric",
    "RepSample",
    "RepTable",
    "rep_actuals",
]

RepMetric = Callable[[Bind, Filters, Scope], pd.Series]
RepTable = Callable[[Bind, Filters, Scope], pd.DataFrame]

_REP = "rep_id"


def _by_rep(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """``frame`` indexed by the integer employee id in ``id_column`` (rows without one dropped)."""
    rows = frame.dropna(subset=[id_column])
    return rows.set_index(rows[id_column].astype("int64").rename("rep_id")).drop(columns=id_column)


def closed_table(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The win-rate table (:func:`analytics.funnel.win_rates`) of the deals closed in the
    period, per owner: ``won``, ``lost``, ``closed``, ``won_amount``, ``win_rate``…
    """
    closed = closed_deal_stats(bind, filters, scope, group=_REP, binned=False)
    return _by_rep(win_rates(closed, by="group"), "group")


def _closed(key: str, column: str) -> RepMetric:
    """A metric read off the win-rate table of the deals closed in the period."""

    def per_rep(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
        return _value(closed_table(bind, filters, scope), column, key)

    per_rep.__doc__ = f"``{column}`` of the deals closed in the period, per owner."
    return per_rep


def _value(table: pd.DataFrame, column: str, key: str) -> pd.Series:
    """``table[column]`` as a float Series named ``key``, indexed by ``rep_id``."""
    return table[column].astype("float64").rename(key)


def _indexed(frame: pd.DataFrame, id_column: str, column: str, key: str) -> pd.Series:
    """``frame[column]`` indexed by the integer employee id in ``id_column`` (the ``group`` of a
    ``rep_id`` grouping, an employee or owner column; rows without one dropped).
    """
    return _value(_by_rep(frame, id_column), column, key)


def _cohort(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    return funnel_facts(bind, filters, scope, group=_REP)


def new_deals(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Deals created in the period, per owner."""
    facts = funnel_facts(bind, filters, scope, group=_REP, reach_only=True)  # counts only
    counts = facts.groupby("group")["deals"].sum().reset_index()
    return _indexed(counts, "group", "deals", "new_deals")


def regression_table(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The period's new deals and those that moved back a stage (``deals``, ``regressed``,
    ``regression_rate``), per owner.
    """
    return _by_rep(regression_rate(_cohort(bind, filters, scope), by="group"), "group")


def regression(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Share of the period's new deals that moved back a stage, per owner."""
    return _value(regression_table(bind, filters, scope), "regression_rate", "regression_rate")


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


def compliance_table(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The follow-up table (:func:`analytics.activity.followup_compliance`: ``judged``,
    ``done_on_time``, ``compliance``…) of each employee's activities due in the period.
    """
    stats = followup_stats(bind, filters, scope)
    return _by_rep(followup_compliance(stats, by="employee_id"), "employee_id")


def compliance(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Follow-up compliance of each employee's activities due in the period."""
    return _value(compliance_table(bind, filters, scope), "compliance", "followup_compliance")


def _open_deal_table(share: Callable[..., pd.DataFrame]) -> RepTable:
    """A table over the deals open at the period end (``open_deals`` and the share's count),
    per owner.
    """

    def per_rep(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
        candidates = stuck_deal_candidates(bind, filters, scope)
        return _by_rep(share(candidates, filters.as_of_ts, by="owner_id"), "owner_id")

    per_rep.__doc__ = f"``{share.__name__}`` of the deals open at the period end, per owner."
    return per_rep


def _column(table: RepTable, column: str, key: str) -> RepMetric:
    """The metric ``key``: ``column`` of a per-rep table."""

    def per_rep(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
        return _value(table(bind, filters, scope), column, key)

    per_rep.__doc__ = f"``{column}`` of {table.__name__}."
    return per_rep


def response(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Median hours from a new deal's creation to its first done activity, per owner."""
    table = lead_response(lead_response_times(bind, filters, scope), by="owner_id")
    return _indexed(table, "owner_id", "median_hours", "lead_response_hours")


def ticket_table(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The tickets resolved in the period per assignee (``resolved``, ``rated``, ``csat``) with
    the spread of their scores (``csat_variance``, the sample variance; NaN under 2 ratings).
    """
    table = _by_rep(satisfaction(ticket_outcomes(bind, filters, scope), by="assignee_id"),
                    "assignee_id")  # fmt: skip
    moments = satisfaction_moments(bind, filters, scope).set_index("employee_id")
    variance = _sample_variance(moments["rated"], moments["score_sum"], moments["score_sq"])
    return table.assign(csat_variance=variance.reindex(table.index))


def ticket_time_table(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The tickets resolved in the period per assignee: ``resolved`` with their
    ``mean_resolution_hours`` and ``responded`` with their ``mean_response_hours`` (hours from
    opening to first response), each with its sample variance (NaN under 2 tickets).
    """
    m = ticket_time_moments(bind, filters, scope).set_index("employee_id").rename_axis("rep_id")
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "resolved": m["resolved"],
                "mean_resolution_hours": m["resolution_sum"] / m["resolved"],
                "resolution_variance": _sample_variance(
                    m["resolved"], m["resolution_sum"], m["resolution_sq"]
                ),
                "responded": m["responded"],
                "mean_response_hours": m["response_sum"] / m["responded"].where(m["responded"] > 0),
                "response_variance": _sample_variance(
                    m["responded"], m["response_sum"], m["response_sq"]
                ),
            }
        )


def won_table(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The deals won in the period per owner: ``won``, ``average_won_amount`` and
    ``mean_cycle_days`` with their sample variances (``amount_variance``, ``cycle_variance``;
    NaN under 2 deals).
    """
    m = won_deal_moments(bind, filters, scope).set_index("employee_id").rename_axis("rep_id")
    return pd.DataFrame(
        {
            "won": m["won"],
            "average_won_amount": m["amount_sum"] / m["won"],
            "amount_variance": _sample_variance(m["won"], m["amount_sum"], m["amount_sq"]),
            "mean_cycle_days": m["cycle_sum"] / m["won"],
            "cycle_variance": _sample_variance(m["won"], m["cycle_sum"], m["cycle_sq"]),
        }
    )


def _sample_variance(count: pd.Series, total: pd.Series, squares: pd.Series) -> pd.Series:
    """Sample variance (n − 1 denominator) from count, Σx and Σx²; NaN for fewer than 2 values,
    never negative (rounding).
    """
    n = count.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = (squares - total * total / n) / (n - 1)
    return variance.where(n > 1).clip(lower=0.0)


def resolution(bind: Bind, filters: Filters, scope: Scope) -> pd.Series:
    """Median hours to resolve the tickets opened in the period, per assignee."""
    table = resolution_time(ticket_resolution_times(bind, filters, scope), by="assignee_id")
    return _indexed(table, "assignee_id", "median_hours", "resolution_hours")


_NEXT_STEPS = _open_deal_table(next_step_coverage)
_CONVERSATIONS = _open_deal_table(active_conversations_by)
_DISCIPLINE = _open_deal_table(data_discipline)

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
    "next_step_coverage": _column(_NEXT_STEPS, "coverage", "next_step_coverage"),
    "active_conversations": _column(_CONVERSATIONS, "active", "active_conversations"),
    "data_discipline": _column(_DISCIPLINE, "discipline", "data_discipline"),
    "lead_response_hours": response,
    "tickets_resolved": _column(ticket_table, "resolved", "tickets_resolved"),
    "csat": _column(ticket_table, "csat", "csat"),
    "resolution_hours": resolution,
}


def _values(key: str) -> RepTable:
    """The per-rep values of ``PER_REP[key]`` as a table (a metric with no sample behind it)."""

    def table(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
        return PER_REP[key](bind, filters, scope).to_frame()

    table.__doc__ = f"The per-rep values of ``{key}``, as a one-column table."
    return table


#: Metrics whose catalogue value is a median but whose leaderboard compares the mean.
COMPARED_BY_MEAN: frozenset[str] = frozenset({"sales_cycle", "resolution_hours"})


@dataclass(frozen=True)
class RepSample:
    """The per-rep table behind a metric: its value and the sample the value rests on.

    Attributes
    ----------
    table : callable
        ``(bind, filters, scope) -> DataFrame`` indexed by ``rep_id``.
    value : str
        The column holding the metric's value.
    size : str or None
        The sample size behind the value (deals closed, activities judged, open deals…); None
        for a value with no count behind it (an amount per day, a median).
    successes : str, optional
        For a rate (``value = successes / size``): its numerator, so a rate can get a
        binomial interval and a beta-binomial shrinkage.
    variance : str, optional
        For a mean of ``size`` values: their sample variance, for a normal–normal shrinkage.
    """

    table: RepTable
    value: str
    size: str | None
    successes: str | None = None
    variance: str | None = None

    @property
    def kind(self) -> str:
        """``rate``, ``mean`` or ``total`` (neither: a count or an amount, compared raw)."""
        return "rate" if self.successes else "mean" if self.variance else "total"


#: Metric key -> the per-rep table behind it, for the metrics a fair comparison shows (the
#: sales cycle and the resolution time are compared by their means here: shrinkage works on
#: means, the catalogue's cards show medians; :data:`COMPARED_BY_MEAN`).
SAMPLES: dict[str, RepSample] = {
    "won_revenue": RepSample(closed_table, "won_amount", "won"),
    "won_deals": RepSample(closed_table, "won", "closed"),
    "win_rate": RepSample(closed_table, "win_rate", "closed", successes="won"),
    "average_won_deal": RepSample(won_table, "average_won_amount", "won",
                                  variance="amount_variance"),
    "sales_cycle": RepSample(won_table, "mean_cycle_days", "won", variance="cycle_variance"),
    "regression_rate": RepSample(regression_table, "regression_rate", "deals",
                                 successes="regressed"),
    "followup_compliance": RepSample(compliance_table, "compliance", "judged",
                                     successes="done_on_time"),
    "next_step_coverage": RepSample(_NEXT_STEPS, "coverage", "open_deals",
                                    successes="with_next_step"),
    "data_discipline": RepSample(_DISCIPLINE, "discipline", "open_deals", successes="touched"),
    "active_conversations": RepSample(_CONVERSATIONS, "active", "open_deals"),
    "tickets_resolved": RepSample(ticket_table, "resolved", "resolved"),
    "csat": RepSample(ticket_table, "csat", "rated", variance="csat_variance"),
    "new_deals": RepSample(regression_table, "deals", "deals"),
    "value_win_rate": RepSample(closed_table, "value_win_rate", "closed"),
    **{key: RepSample(_values(key), key, None) for key in (
        "open_pipeline", "sales_velocity", "stuck_deals", "activities_done",
        "activities_per_day", "lead_response_hours")},
    "first_response_hours": RepSample(ticket_time_table, "mean_response_hours", "responded",
                                      variance="response_variance"),
    "resolution_hours": RepSample(ticket_time_table, "mean_resolution_hours", "resolved",
                                  variance="resolution_variance"),
}  # fmt: skip


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
