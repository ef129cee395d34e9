"""What is left open with each customer at ``as_of``: complaints and overdue follow-ups (the
inputs of the recommended next action, :mod:`analytics.next_action`).

Scope is the account's (:func:`crm_data.queries.where.account_conditions`): a rep sees the
open items of the accounts they own, whoever the activity is assigned to.  Time convention
as in :mod:`crm_data.queries.history`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import days_between
from crm_data.queries.frames import Bind, Kind, read_frame, sort_rows
from crm_data.queries.history import still_planned_at
from crm_data.queries.tables import ACTIVITIES, TICKETS
from crm_data.queries.where import account_conditions

__all__ = ["open_items"]


def open_items(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Per account with anything open at ``as_of``: open complaints and overdue activities.

    A complaint (ticket category ``complaint``) is open when it was opened before ``as_of``
    and not resolved before it.  An activity is overdue when it was still planned at
    ``as_of`` and due before it (METRICS.md **Overdue**).

    Returns
    -------
    DataFrame
        ``account_id`` int, ``open_complaints`` int, ``oldest_complaint_days`` float (days
        since the oldest open complaint was opened, NaN without one), ``overdue_activities``
        int, ``latest_overdue_days`` float (days since the most recently due overdue activity
        was due); ordered by account id.
    """
    as_of = filters.as_of_ts
    t, a = TICKETS.c, ACTIVITIES.c
    now = sa.literal(as_of, sa.DateTime)
    complaints = sa.select(
        t.account_id,
        sa.literal(1).label("complaint"),
        sa.literal(0).label("overdue"),
        days_between(t.opened_at, now).label("days"),
    ).where(
        *account_conditions(t.account_id, scope, None),
        t.category == "complaint",
        t.opened_at < as_of,
        sa.or_(t.resolved_at.is_(None), t.resolved_at >= as_of),
    )
    overdue = sa.select(
        a.account_id,
        sa.literal(0).label("complaint"),
        sa.literal(1).label("overdue"),
        days_between(a.due_at, now).label("days"),
    ).where(
        a.account_id.is_not(None),
        *account_conditions(a.account_id, scope, None),
        still_planned_at(as_of),
        a.due_at < as_of,
    )
    items = sa.union_all(complaints, overdue).subquery("items")
    i = items.c

    def days(flag: sa.ColumnElement[int], pick: Any) -> sa.ColumnElement[float]:
        return pick(sa.case((flag == 1, i.days), else_=sa.null()))

    stmt = sa.select(
        i.account_id,
        sa.func.sum(i.complaint).label("open_complaints"),
        days(i.complaint, sa.func.max).label("oldest_complaint_days"),
        sa.func.sum(i.overdue).label("overdue_activities"),
        days(i.overdue, sa.func.min).label("latest_overdue_days"),
    ).group_by(i.account_id)
    kinds: dict[str, Kind] = {"account_id": "int", "open_complaints": "int",
                              "oldest_complaint_days": "float", "overdue_activities": "int",
                              "latest_overdue_days": "float"}  # fmt: skip
    return sort_rows(read_frame(bind, stmt, kinds), ["account_id"])
