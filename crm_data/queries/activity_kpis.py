"""Aggregated queries behind the activity KPIs (METRICS.md "Non-financial activity KPIs").

Small frames for :mod:`analytics.activity`; the database does the scanning and grouping.
The other inputs of those KPIs come from existing queries:

* "Activities done": :func:`crm_data.queries.activity.activities_by_rep_type_period`;
* "Active conversations", "Negotiations state", "Next-step coverage", "Data discipline":
  :func:`crm_data.queries.pipeline.stuck_deal_candidates` (every open deal at ``as_of``);
* "Forgotten client", "Reactivated client":
  :func:`crm_data.queries.customer_contacts.customer_contacts`, at ``as_of`` and, for the
  reactivated ones, also at the period start (``dataclasses.replace(filters,
  as_of=filters.start)``);
* the overdue list: :func:`crm_data.queries.overdue.overdue_activities`.

Time convention as in :mod:`crm_data.queries.history`: the state "at t" is made of the events
strictly before ``t = Filters.as_of_ts``; an activity is done at ``t`` when its status is
``done`` and ``done_at < t``, still planned when it is ``planned`` or done only at/after ``t``.
Scope is enforced by :mod:`crm_data.queries.where`: activities belong to their employee, deals
to their owner, accounts (and their orders) to the account owner.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from crm_data.filters import Filters, Scope
from crm_data.portable import bin_down, days_between
from crm_data.queries.frames import Bind, Kind, read_frame, sort_rows
from crm_data.queries.history import still_planned_at
from crm_data.queries.tables import (
    ACCOUNTS,
    ACTIVITIES,
    DEALS,
    EMPLOYEES,
    ORDER_ITEMS,
    ORDERS,
    PRODUCTS,
)
from crm_data.queries.where import (
    account_conditions,
    activity_conditions,
    deal_conditions,
    in_period,
    owner_conditions,
)

__all__ = [
    "GRACE_DAYS",
    "call_counts",
    "employment_spans",
    "followup_stats",
    "lead_response_times",
    "new_line_clients",
]

#: METRICS.md "Follow-up compliance": a planned activity done up to this many days after its
#: ``due_at`` is on time.
GRACE_DAYS = 1.0
#: Slack (in days, ~1 ms) on the grace limit: SQLite computes ``days_between`` through
#: ``julianday`` floats, so "exactly one day later" may come out a few 1e-10 day above 1.
_GRACE_SLACK = 1e-8
#: Response times are binned down to 1 / _PER_HOUR hour.
_PER_HOUR = 10


def _count_if(condition: ColumnElement[bool], name: str) -> Any:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)`` labelled ``name``."""
    return sa.func.sum(sa.case((condition, 1), else_=0)).label(name)


# ---- calls ------------------------------------------------------------------------------------


def call_counts(
    bind: Bind, filters: Filters, scope: Scope, short_minutes: float = 2.0
) -> pd.DataFrame:
    """Done calls in ``[start, end)`` and before ``as_of`` per employee, and how many lasted
    under ``short_minutes`` (a gaming signal of a calls KPI; calls without a duration are not
    counted as short).

    Returns
    -------
    DataFrame
        ``rep_id`` int, ``calls`` int, ``short_calls`` int; employees with at least one call,
        ordered by id.
    """
    act = ACTIVITIES.c
    stmt = (
        sa.select(
            act.employee_id.label("rep_id"),
            sa.func.count().label("calls"),
            _count_if(act.duration_min < short_minutes, "short_calls"),
        )
        .where(
            *activity_conditions(ACTIVITIES, scope, filters),
            act.employee_id.is_not(None),
            act.type == "call",
            act.status == "done",
            in_period(act.done_at, filters),
        )
        .group_by(act.employee_id)
    )
    frame = read_frame(bind, stmt, {"rep_id": "int", "calls": "int", "short_calls": "int"})
    return sort_rows(frame, ["rep_id"])


# ---- follow-up compliance and overdue -------------------------------------------------------


def followup_stats(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Planned activities per employee: follow-up compliance counts and overdue ones.

    METRICS.md **Follow-up compliance** and **Overdue**.  The *due* activities are those with
    ``due_at`` in ``[start, end)`` and before ``as_of`` (an activity not yet due at ``as_of``
    is not judged), not cancelled.  Each is, at ``as_of``:

    * ``done_on_time``: done before ``as_of`` with ``done_at <= due_at + 1 day`` (the grace;
      exactly one day later is on time);
    * ``done_late``: done before ``as_of``, later than that;
    * ``not_done``: not done before ``as_of`` (still planned, or done only at/after it);
      ``pending`` counts those of them whose grace has not run out at ``as_of``
      (``as_of <= due_at + 1 day``): they can still be done on time, so their outcome is
      not known yet.

    ``overdue`` is a snapshot at ``as_of``, whatever the period: activities still planned at
    ``as_of`` with ``due_at < as_of`` (as :func:`~crm_data.queries.overdue.overdue_activities`).
    Activities are attributed to their employee (``activities.employee_id``); scope and
    filters apply as in :func:`~crm_data.queries.where.activity_conditions`.

    Returns
    -------
    DataFrame
        ``employee_id`` Int64 (NA for activities without an employee), ``due``,
        ``done_on_time``, ``done_late``, ``not_done``, ``pending``, ``overdue`` int
        (``due = done_on_time + done_late + not_done``); one row per employee with at least
        one due or overdue activity, ordered by employee (NA first).
    """
    act = ACTIVITIES.c
    as_of = filters.as_of_ts
    as_of_lit = sa.literal(as_of, sa.DateTime)
    is_due = in_period(act.due_at, filters)
    done_before = sa.and_(act.status == "done", act.done_at.is_not(None), act.done_at < as_of)
    within_grace = days_between(act.due_at, act.done_at) <= GRACE_DAYS + _GRACE_SLACK
    grace_running = days_between(act.due_at, as_of_lit) <= GRACE_DAYS + _GRACE_SLACK
    overdue = sa.and_(still_planned_at(as_of), act.due_at < as_of)
    # one CASE classifies each row (six conditional sums cost 60 % more at L on DuckDB)
    outcome = sa.case(
        (sa.not_(is_due), None),
        (sa.and_(done_before, within_grace), "done_on_time"),
        (done_before, "done_late"),
        (grace_running, "pending"),
        else_="not_done",
    ).label("outcome")
    is_overdue = sa.case((overdue, 1), else_=0).label("is_overdue")
    stmt = (
        sa.select(act.employee_id, outcome, is_overdue, sa.func.count().label("activities"))
        .where(
            *activity_conditions(ACTIVITIES, scope, filters),
            act.status != "cancelled",
            act.due_at.is_not(None),
            sa.or_(is_due, overdue),
        )
        .group_by(act.employee_id, outcome, is_overdue)
    )
    kinds: dict[str, Kind] = {
        "employee_id": "Int",
        "outcome": "str",
        "is_overdue": "int",
        "activities": "int",
    }
    return _followup_counts(read_frame(bind, stmt, kinds))


def _followup_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`followup_stats`' columns from its rows per employee, outcome and overdue flag."""
    columns = ["done_on_time", "done_late", "not_done", "pending"]
    employee = rows["employee_id"].fillna(-1)  # pivot keys may not be NA
    counts = rows.assign(employee_id=employee).pivot_table(
        index="employee_id", columns="outcome", values="activities", aggfunc="sum"
    )
    counts = counts.reindex(columns=columns).reindex(pd.unique(employee)).fillna(0)
    overdue = rows.loc[rows["is_overdue"] == 1].groupby(employee)["activities"].sum()
    out = pd.DataFrame(
        {
            "employee_id": counts.index.to_series().replace(-1, pd.NA).astype("Int64"),
            "due": counts.sum(axis=1),
            "done_on_time": counts["done_on_time"],
            "done_late": counts["done_late"],
            "not_done": counts["not_done"] + counts["pending"],
            "pending": counts["pending"],
            "overdue": overdue.reindex(counts.index, fill_value=0),
        }
    ).astype({name: "int64" for name in ["due", *columns, "overdue"]})
    return sort_rows(out.reset_index(drop=True), ["employee_id"])


# ---- lead response time ---------------------------------------------------------------------


def lead_response_times(
    bind: Bind, filters: Filters, scope: Scope, *, by_owner: bool = True
) -> pd.DataFrame:
    """Hours from deal creation to its first done activity, counted per owner and 0.1 h bin.

    METRICS.md **Lead response time**.  The deals are those created in ``[start, end)`` and
    before ``as_of`` (deal scope and filters, :func:`~crm_data.queries.where.deal_conditions`).
    Their first done activity is the earliest ``done_at < as_of`` of the done activities
    linked to the deal (``activities.deal_id``), whoever did them.  A deal without one is
    *censored* at ``as_of`` (its time is ``as_of - created_at``), so a Kaplan–Meier median can
    be taken.  An activity done before the deal was created (logged first, linked later) is a
    response time of 0.

    Returns
    -------
    DataFrame
        ``owner_id`` int (only with ``by_owner``: without it the bins cover all owners, a
        far smaller frame), ``hours`` float (lower edge of the 0.1-hour bin: 3.4 for
        3.47 h), ``censored`` bool, ``deals`` int; ordered by owner, hours, censored.
    """
    as_of = filters.as_of_ts
    act = ACTIVITIES.c
    cohort = [*deal_conditions(DEALS, scope, filters), in_period(DEALS.c.created_at, filters)]
    first_done = (
        sa.select(act.deal_id, sa.func.min(act.done_at).label("first_done_at"))
        .where(
            act.status == "done",
            act.done_at < as_of,
            act.deal_id.in_(sa.select(DEALS.c.id).where(*cohort)),
        )
        .group_by(act.deal_id)
        .subquery("first_done")
    )
    reached = sa.func.coalesce(first_done.c.first_done_at, sa.literal(as_of, sa.DateTime))
    hours = sa.case(
        (first_done.c.first_done_at < DEALS.c.created_at, 0.0),
        else_=days_between(DEALS.c.created_at, reached) * 24.0,
    )
    per_deal = (
        sa.select(
            DEALS.c.owner_id,
            bin_down(hours, _PER_HOUR).label("bin"),
            first_done.c.first_done_at.is_(None).label("censored"),
        )
        .select_from(DEALS.outerjoin(first_done, first_done.c.deal_id == DEALS.c.id))
        .where(*cohort)
        .subquery("per_deal")
    )
    owner = [per_deal.c.owner_id] if by_owner else []
    stmt = sa.select(
        *owner,
        (per_deal.c.bin / float(_PER_HOUR)).label("hours"),
        per_deal.c.censored,
        sa.func.count().label("deals"),
    ).group_by(*owner, per_deal.c.bin, per_deal.c.censored)
    kinds: dict[str, Kind] = {
        **({"owner_id": "int"} if by_owner else {}),
        "hours": "float",
        "censored": "bool",
        "deals": "int",
    }
    keys = ["owner_id"] if by_owner else []
    return sort_rows(read_frame(bind, stmt, kinds), [*keys, "hours", "censored"])


# ---- new-direction clients ------------------------------------------------------------------


def new_line_clients(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Accounts that bought into a new product line in ``[start, end)`` (and before ``as_of``).

    METRICS.md **New-direction clients**: an account counts for a product line when, in the
    period, it ordered a product flagged ``products.is_new_line`` of that line (an order item),
    or won a deal whose ``product_line`` is a line with at least one ``is_new_line`` product
    (``closed_at`` in the period).  Orders follow the account scope (its owner), won deals the
    deal scope (their owner), and the account itself must be visible to the scope (as in
    :func:`~crm_data.queries.customer_contacts.customer_contacts`).  Region/segment filters
    apply to the account, product-line filters to the line, the pipeline filter to the deals.

    Returns
    -------
    DataFrame
        ``account_id`` int, ``owner_id`` Int64 (the account's owner), ``region`` str,
        ``product_line`` str, ``first_at`` datetime64 (first qualifying order or win in the
        period), ``by_order`` bool, ``by_deal`` bool (which of the two happened); one row per
        (account, product line), ordered by account and line.
    """
    lines = [PRODUCTS.c.product_line.in_(filters.product_lines)] if filters.product_lines else []
    ordered = (
        sa.select(
            ORDERS.c.account_id,
            PRODUCTS.c.product_line,
            ORDERS.c.ordered_at.label("at"),
            sa.literal(1).label("is_order"),
        )
        .select_from(
            ORDERS.join(ORDER_ITEMS, ORDER_ITEMS.c.order_id == ORDERS.c.id).join(
                PRODUCTS, PRODUCTS.c.id == ORDER_ITEMS.c.product_id
            )
        )
        .where(
            *account_conditions(ORDERS.c.account_id, scope, filters),
            PRODUCTS.c.is_new_line == sa.true(),
            *lines,
            in_period(ORDERS.c.ordered_at, filters),
        )
    )
    new_lines = sa.select(PRODUCTS.c.product_line).where(PRODUCTS.c.is_new_line == sa.true())
    won = sa.select(
        DEALS.c.account_id,
        DEALS.c.product_line,
        DEALS.c.closed_at.label("at"),
        sa.literal(0).label("is_order"),
    ).where(
        *deal_conditions(DEALS, scope, filters),
        DEALS.c.status == "won",
        DEALS.c.product_line.in_(new_lines),
        in_period(DEALS.c.closed_at, filters),
    )
    events = sa.union_all(ordered, won).subquery("events")
    per_line = (
        sa.select(
            events.c.account_id,
            events.c.product_line,
            sa.func.min(events.c.at).label("first_at"),
            sa.func.max(events.c.is_order).label("any_order"),
            sa.func.min(events.c.is_order).label("all_orders"),
        )
        .group_by(events.c.account_id, events.c.product_line)
        .subquery("per_line")
    )
    stmt = (
        sa.select(
            per_line.c.account_id,
            ACCOUNTS.c.owner_id,
            ACCOUNTS.c.region,
            per_line.c.product_line,
            per_line.c.first_at,
            (per_line.c.any_order == 1).label("by_order"),
            (per_line.c.all_orders == 0).label("by_deal"),
        )
        .select_from(per_line.join(ACCOUNTS, ACCOUNTS.c.id == per_line.c.account_id))
        .where(*account_conditions(ACCOUNTS.c.id, scope, filters))
    )
    kinds: dict[str, Kind] = {
        "account_id": "int",
        "owner_id": "Int",
        "region": "str",
        "product_line": "str",
        "first_at": "datetime",
        "by_order": "bool",
        "by_deal": "bool",
    }
    return sort_rows(read_frame(bind, stmt, kinds), ["account_id", "product_line"])


# ---- employment (working-day normalisation) -------------------------------------------------


def employment_spans(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Employees employed at some time in ``[start, end)`` before ``as_of``, with their
    employment dates as known at ``as_of``.

    The basis of the working-day normalisation of METRICS.md **Activities done** (per
    working day).  An employee is employed from ``hired_at`` (included) to ``left_at``
    (excluded: the first day no longer employed; NULL while employed).  Hiring and leaving are
    events: an employee hired at or after ``as_of`` is not listed, and a ``left_at`` at or after
    ``as_of`` reads NaT (still employed at ``as_of``).  Scope and the rep/team filters apply to
    the employee (:func:`~crm_data.queries.where.owner_conditions`); every role is listed
    (heads do activities too).

    Returns
    -------
    DataFrame
        ``employee_id`` int, ``team_id`` Int64, ``role`` str, ``hired_at`` datetime64,
        ``left_at`` datetime64 (NaT while employed); ordered by employee.
    """
    emp = EMPLOYEES.c
    as_of = filters.as_of or filters.end
    left_by_as_of = sa.case((emp.left_at < as_of, emp.left_at), else_=None)
    stmt = (
        sa.select(
            emp.id.label("employee_id"),
            emp.team_id,
            emp.role,
            emp.hired_at,
            left_by_as_of.label("left_at"),
        )
        .where(
            *owner_conditions(emp.id, scope, filters),
            emp.hired_at < filters.until,
            sa.or_(emp.left_at.is_(None), emp.left_at > filters.start),
        )
        .order_by(emp.id)
    )
    kinds: dict[str, Kind] = {
        "employee_id": "int",
        "team_id": "Int",
        "role": "str",
        "hired_at": "datetime",
        "left_at": "datetime",
    }
    return read_frame(bind, stmt, kinds)
