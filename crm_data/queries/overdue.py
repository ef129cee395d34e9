"""Activities overdue at ``as_of`` (METRICS.md "Overdue"): the list, oldest due first, and
their number.

Time convention as in :mod:`crm_data.queries.history`: the state "at t" is made of the events
strictly before ``t``; ``t = Filters.as_of_ts``.  An activity is still planned at ``t`` when
its status is ``planned``, or ``done`` with ``done_at >= t``.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from crm_data.filters import Filters, Scope
from crm_data.queries.frames import Bind, connect, read_frame
from crm_data.queries.history import still_planned_at
from crm_data.queries.tables import ACCOUNTS, ACTIVITIES, DEALS, EMPLOYEES
from crm_data.queries.where import activity_conditions

__all__ = ["count_overdue_activities", "overdue_activities"]


def _overdue_conditions(filters: Filters, scope: Scope) -> list[ColumnElement[bool]]:
    as_of = filters.as_of_ts
    return [
        *activity_conditions(ACTIVITIES, scope, filters),
        still_planned_at(as_of),
        ACTIVITIES.c.due_at < as_of,
    ]


def overdue_activities(
    bind: Bind, filters: Filters, scope: Scope, limit: int | None = None
) -> pd.DataFrame:
    """Activities overdue at ``as_of`` (METRICS.md **Overdue**: planned, due before, not done).

    An activity is overdue when it was still planned at ``as_of`` (status ``planned``, or
    ``done`` with ``done_at >= as_of``) and ``due_at < as_of``; cancelled ones never are.
    Scope and filters apply to the activity (its employee, account and deal; see
    :func:`crm_data.queries.where.activity_conditions`).

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    filters, scope : Filters, Scope
        ``as_of``, narrowing lists and access scope (the period itself is not used).
    limit : int, optional
        Maximum number of rows (the oldest due first).

    Returns
    -------
    DataFrame
        ``activity_id`` int, ``employee_id`` Int64, ``employee`` str (NA if none), ``type``
        str, ``due_at`` datetime64, ``deal_id`` Int64, ``deal`` str (title, NA if none),
        ``account_id`` Int64, ``account`` str (NA if none); ordered by ``due_at`` then id.
    """
    # the oldest rows first, then their names: joining the names of every overdue activity
    # before the limit (50,000 at L, against a million deal titles) took five times longer
    act = ACTIVITIES.c
    overdue = (
        sa.select(act.id, act.employee_id, act.type, act.due_at, act.deal_id, act.account_id)
        .where(*_overdue_conditions(filters, scope))
        .order_by(act.due_at, act.id)
        .limit(limit)
        .subquery("overdue")
    )
    row = overdue.c
    stmt = (
        sa.select(
            row.id.label("activity_id"),
            row.employee_id,
            EMPLOYEES.c.name.label("employee"),
            row.type,
            row.due_at,
            row.deal_id,
            DEALS.c.title.label("deal"),
            row.account_id,
            ACCOUNTS.c.name.label("account"),
        )
        .select_from(
            overdue.outerjoin(EMPLOYEES, EMPLOYEES.c.id == row.employee_id)
            .outerjoin(DEALS, DEALS.c.id == row.deal_id)
            .outerjoin(ACCOUNTS, ACCOUNTS.c.id == row.account_id)
        )
        .order_by(row.due_at, row.id)
    )
    return read_frame(
        bind,
        stmt,
        {
            "activity_id": "int",
            "employee_id": "Int",
            "employee": "str",
            "type": "str",
            "due_at": "datetime",
            "deal_id": "Int",
            "deal": "str",
            "account_id": "Int",
            "account": "str",
        },
    )


def count_overdue_activities(bind: Bind, filters: Filters, scope: Scope) -> int:
    """Number of activities overdue at ``as_of`` (as in :func:`overdue_activities`)."""
    stmt = (
        sa.select(sa.func.count())
        .select_from(ACTIVITIES)
        .where(*_overdue_conditions(filters, scope))
    )
    with connect(bind) as conn:
        return int(conn.execute(stmt).scalar_one())
