"""Per-rep sample moments and quotas: what a fair comparison of reps needs beyond the rates.

A normal–normal shrinkage of a per-rep mean (average won deal, sales cycle, satisfaction;
METRICS.md "Rep performance") needs each rep's count, sum and sum of squares, not only the mean.
Each query returns them per employee, reduced in SQL:

* :func:`won_deal_moments` — the deals won in ``[start, end)`` (and before ``as_of``) per owner:
  their amounts and their cycles (``closed_at − created_at``, days);
* :func:`satisfaction_moments` — the ratings of the tickets resolved in the period per assignee;
* :func:`ticket_time_moments` — their resolution and first-response times (hours);
* :func:`quotas_by_rep` — the revenue quota of each rep inside a period.

Scope and filters narrow the rows as in the queries they mirror
(:func:`crm_data.queries.funnel_stats.closed_deal_stats`,
:func:`crm_data.queries.service.ticket_outcomes`,
:func:`~crm_data.queries.funnel_stats.quota_total`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import days_between
from crm_data.queries.frames import Bind, Kind, read_frame, sort_rows
from crm_data.queries.funnel_stats import QUOTAS
from crm_data.queries.tables import DEALS, TICKETS
from crm_data.queries.where import account_conditions, deal_conditions, in_period, owner_conditions

__all__ = ["quotas_by_rep", "satisfaction_moments", "ticket_time_moments", "won_deal_moments"]


def _moments(value: Any, name: str) -> list[Any]:
    """``Σ value`` and ``Σ value²`` of grouped rows as ``{name}_sum`` and ``{name}_sq``."""
    return [
        sa.func.sum(value).label(f"{name}_sum"),
        sa.func.sum(value * value).label(f"{name}_sq"),
    ]


def _per_employee(
    bind: Bind, employee: Any, measures: list[Any], conditions: list[Any], kinds: dict[str, Kind]
) -> pd.DataFrame:
    """``SELECT employee AS employee_id, measures… WHERE conditions GROUP BY employee``, rows
    without an employee dropped, ordered by employee.
    """
    stmt = (
        sa.select(employee.label("employee_id"), *measures)
        .where(*conditions, employee.is_not(None))
        .group_by(employee)
    )
    frame = read_frame(bind, stmt, {"employee_id": "int", **kinds})
    return sort_rows(frame, ["employee_id"]).reset_index(drop=True)


def won_deal_moments(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Moments of the amounts and cycles of the deals won in the period, per owner.

    Returns
    -------
    DataFrame
        ``employee_id`` int (the deal owner), ``won`` int, ``amount_sum``, ``amount_sq``,
        ``cycle_sum``, ``cycle_sq`` float (Σ and Σ² of ``deals.amount`` and of the cycle in
        days); ordered by owner.
    """
    cycle = days_between(DEALS.c.created_at, DEALS.c.closed_at)
    amount = sa.func.coalesce(DEALS.c.amount, 0.0)
    conditions = [
        *deal_conditions(DEALS, scope, filters),
        DEALS.c.status == "won",
        in_period(DEALS.c.closed_at, filters),
    ]
    measures = [sa.func.count().label("won"), *_moments(amount, "amount"),
                *_moments(cycle, "cycle")]  # fmt: skip
    kinds: dict[str, Kind] = {"won": "int", "amount_sum": "float", "amount_sq": "float",
                              "cycle_sum": "float", "cycle_sq": "float"}  # fmt: skip
    return _per_employee(bind, DEALS.c.owner_id, measures, conditions, kinds)


def satisfaction_moments(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Moments of the satisfaction scores (1–5) of the tickets resolved in the period, per
    assignee.

    Returns
    -------
    DataFrame
        ``employee_id`` int (the assignee), ``rated`` int (resolved tickets with a score),
        ``score_sum``, ``score_sq`` float; assignees without a rated ticket are absent.
    """
    t = TICKETS.c
    conditions = [
        *account_conditions(t.account_id, scope, filters),
        in_period(t.resolved_at, filters),
        t.satisfaction.is_not(None),
    ]
    score = sa.cast(t.satisfaction, sa.Double)
    measures = [sa.func.count().label("rated"), *_moments(score, "score")]
    kinds: dict[str, Kind] = {"rated": "int", "score_sum": "float", "score_sq": "float"}
    return _per_employee(bind, t.assignee_id, measures, conditions, kinds)


def ticket_time_moments(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Moments of the resolution and first-response times (hours from opening) of the tickets
    resolved in the period, per assignee.

    A first response counts when it came no later than the resolution (a ticket resolved
    without one has none).

    Returns
    -------
    DataFrame
        ``employee_id`` int (the assignee), ``resolved`` int, ``resolution_sum``,
        ``resolution_sq`` float, ``responded`` int, ``response_sum``, ``response_sq`` float.
    """
    t = TICKETS.c
    conditions = [
        *account_conditions(t.account_id, scope, filters),
        in_period(t.resolved_at, filters),
    ]
    resolution = days_between(t.opened_at, t.resolved_at) * 24.0
    answered = sa.and_(t.first_response_at.is_not(None), t.first_response_at <= t.resolved_at)
    response = sa.case((answered, days_between(t.opened_at, t.first_response_at) * 24.0))
    measures = [
        sa.func.count().label("resolved"),
        *_moments(resolution, "resolution"),
        sa.func.count(response).label("responded"),
        *_moments(response, "response"),
    ]
    kinds: dict[str, Kind] = {"resolved": "int", "resolution_sum": "float",
                              "resolution_sq": "float", "responded": "int",
                              "response_sum": "float", "response_sq": "float"}  # fmt: skip
    return _per_employee(bind, t.assignee_id, measures, conditions, kinds)


def quotas_by_rep(
    bind: Bind, filters: Filters, scope: Scope, start: date, end: date
) -> pd.DataFrame:
    """Each rep's revenue quota inside ``[start, end)`` (the rows of
    :func:`~crm_data.queries.funnel_stats.quota_total`, per rep).

    Returns
    -------
    DataFrame
        ``employee_id`` int, ``quota`` float (Σ of the targets whose period lies inside
        ``[start, end)``), ``quotas`` int (how many quota rows), ``quota_start``,
        ``quota_end`` datetime64 (the first start and last end of those rows); reps without
        one are absent.
    """
    q = QUOTAS.c
    conditions = [
        q.period_start >= start,
        q.period_end <= end,
        *owner_conditions(q.employee_id, scope, filters),
    ]
    measures = [
        sa.func.sum(q.revenue_target).label("quota"),
        sa.func.count().label("quotas"),
        sa.func.min(q.period_start).label("quota_start"),
        sa.func.max(q.period_end).label("quota_end"),
    ]
    kinds: dict[str, Kind] = {"quota": "float", "quotas": "int", "quota_start": "datetime",
                              "quota_end": "datetime"}  # fmt: skip
    return _per_employee(bind, q.employee_id, measures, conditions, kinds)
