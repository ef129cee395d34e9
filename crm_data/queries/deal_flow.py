"""The monthly deal flow of a period: deals created, won and lost, counts and amounts
(METRICS.md "New deals", "Won revenue", "Win rate").

Time convention as in :mod:`crm_data.queries.history`: the state "at t" is made of the events
strictly before ``t``; ``t = Filters.as_of_ts``.  A deal is open at ``t`` when
``created_at < t`` and (``closed_at`` is NULL or ``closed_at >= t``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from crm_data.filters import Filters, Scope
from crm_data.portable import trunc_date
from crm_data.queries.frames import Bind, read_frame
from crm_data.queries.history import is_open_at, last_positions
from crm_data.queries.tables import DEALS
from crm_data.queries.where import deal_conditions, in_period

__all__ = ["deal_flow_by_month"]


def deal_flow_by_month(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Deals created and deals closed (won/lost) in ``[start, end)``, by calendar month.

    A deal counts as *created* in the month of ``created_at`` when ``created_at`` is in the
    period and before ``as_of``, and as *won*/*lost* in the month of ``closed_at`` when its
    status is won/lost and ``closed_at`` is in the period and before ``as_of`` (so "what
    happened" never includes events at or after ``as_of``).  Amounts are those at ``as_of``:
    a deal still open then counts with the amount of its last history row before ``as_of``
    (``deals.amount`` without one), a deal closed before it with ``deals.amount``.
    Both sides are grouped in one statement (a UNION ALL of two grouped selects, grouped again
    by month); scope and filters apply to the deal (see
    :func:`crm_data.queries.where.deal_conditions`).  This is the monthly flow behind the
    METRICS.md **Win rate** (won / (won + lost) over deals closed in the period).

    Returns
    -------
    DataFrame
        ``month`` datetime64 (first day), ``created`` int, ``created_amount`` float,
        ``won`` int, ``won_amount`` float, ``lost`` int, ``lost_amount`` float (money in the
        account currency); only months with at least one event, ordered by month.
    """
    scoped = deal_conditions(DEALS, scope, filters)
    new = [*scoped, in_period(DEALS.c.created_at, filters)]
    # a new deal still open at as_of counts with its amount then (a closed one: its final one)
    still_open = sa.select(DEALS.c.id).where(*new, is_open_at(filters.as_of_ts))
    at_as_of = last_positions(still_open, before=filters.as_of_ts, open_only=False)
    created_month = trunc_date("month", DEALS.c.created_at)
    created = (
        sa.select(
            created_month.label("month"),
            sa.literal("created", sa.String).label("event"),
            sa.func.count().label("deals"),
            sa.func.sum(sa.func.coalesce(at_as_of.c.amount, DEALS.c.amount)).label("amount"),
        )
        .select_from(DEALS.outerjoin(at_as_of, at_as_of.c.deal_id == DEALS.c.id))
        .where(*new)
        .group_by(created_month)
    )
    closed_month = trunc_date("month", DEALS.c.closed_at)
    closed = (
        sa.select(
            closed_month.label("month"),
            DEALS.c.status.label("event"),
            sa.func.count().label("deals"),
            sa.func.sum(DEALS.c.amount).label("amount"),
        )
        .where(
            *scoped,
            DEALS.c.status.in_(("won", "lost")),
            in_period(DEALS.c.closed_at, filters),
        )
        .group_by(closed_month, DEALS.c.status)
    )
    events = sa.union_all(created, closed).subquery("events")

    totals: list[ColumnElement[Any]] = []
    for event in ("created", "won", "lost"):
        is_event = events.c.event == event
        totals += [
            sa.func.sum(sa.case((is_event, events.c.deals), else_=0)).label(event),
            sa.func.sum(sa.case((is_event, events.c.amount), else_=0.0)).label(f"{event}_amount"),
        ]
    stmt = sa.select(events.c.month, *totals).group_by(events.c.month).order_by(events.c.month)
    return read_frame(
        bind,
        stmt,
        {
            "month": "datetime",
            "created": "int",
            "created_amount": "float",
            "won": "int",
            "won_amount": "float",
            "lost": "int",
            "lost_amount": "float",
        },
    )
