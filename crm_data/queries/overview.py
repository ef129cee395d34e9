"""Queries of the Overview page: deal flow, "what changed" lists, customers, overdue activities.

Time convention as in :mod:`crm_data.queries.history`: the state "at t" is made of the events
strictly before ``t``; ``t = Filters.as_of_ts``.  A deal is open at ``t`` when
``created_at < t`` and (``closed_at`` is NULL or ``closed_at >= t``); an activity is still
planned at ``t`` when its status is ``planned``, or ``done`` with ``done_at >= t``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from crm_data.filters import Filters, Scope
from crm_data.portable import trunc_date
from crm_data.queries.frames import Bind, Kind, connect, empty_frame, read_frame
from crm_data.queries.history import (
    dates_table,
    deal_states,
    is_open_at,
    last_positions,
    still_planned_at,
)
from crm_data.queries.tables import ACCOUNTS, ACTIVITIES, DEALS, EMPLOYEES, LOST_REASONS, STAGES
from crm_data.queries.where import activity_conditions, deal_conditions, in_period

__all__ = [
    "count_overdue_activities",
    "deal_flow_by_month",
    "deal_labels",
    "largest_deals",
    "overdue_activities",
]


DealListKind = Literal["won", "lost", "slipped"]


# ---- deal flow -------------------------------------------------------------------------------


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


# ---- deal lists ------------------------------------------------------------------------------


def _labelled_deals(
    deals: sa.FromClause = DEALS, stage_id: Any = DEALS.c.stage_id
) -> sa.FromClause:
    """``deals`` (or a join holding it) with its account, owner and the stage ``stage_id``
    (default: the current one); outer joins, so missing rows give NA.
    """
    return (
        deals.outerjoin(ACCOUNTS, ACCOUNTS.c.id == DEALS.c.account_id)
        .outerjoin(EMPLOYEES, EMPLOYEES.c.id == DEALS.c.owner_id)
        .outerjoin(STAGES, STAGES.c.id == stage_id)
    )


_DEAL_LIST_KINDS: dict[str, Kind] = {
    "deal_id": "int",
    "title": "str",
    "account_id": "int",
    "account": "str",
    "owner_id": "int",
    "owner": "str",
    "product_line": "str",
    "stage": "str",
    "amount": "float",
    "closed_at": "datetime",
    "expected_close_at": "datetime",
    "lost_reason": "str",
}


def largest_deals(
    bind: Bind, filters: Filters, scope: Scope, kind: DealListKind, limit: int = 10
) -> pd.DataFrame:
    """The largest deals won, lost or slipped in ``[start, end)`` ("what changed").

    * ``won`` / ``lost``: deals with that status and ``closed_at`` in the period and before
      ``as_of``.
    * ``slipped``: deals open at ``as_of`` (created before it, not closed before it) whose
      ``expected_close_at`` falls in the period and before ``as_of``: they were expected to
      close and did not (with the default ``as_of = end`` the last condition is implied).
      This is the "expected close date passed" flag of METRICS.md **Stuck (rotting) deal**.
      Their stage and amount are those at ``as_of`` (their last history row before it,
      :func:`~crm_data.queries.history.deal_states`).

    Scope and filters apply to the deal; ordered by amount (account currency; of a won or
    lost deal ``deals.amount``) descending, then deal id; at most ``limit`` rows (LIMIT in
    SQL).

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    filters, scope : Filters, Scope
        The period, as_of, narrowing lists and access scope.
    kind : {"won", "lost", "slipped"}
        Which list.
    limit : int
        Maximum number of rows.

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``title`` str, ``account_id`` int, ``account`` str, ``owner_id`` int,
        ``owner`` str (NA if the owner row is missing), ``product_line`` str, ``stage`` str
        (the stage at ``as_of``), ``amount`` float, ``closed_at`` datetime64 (NaT for slipped),
        ``expected_close_at`` datetime64, ``lost_reason`` str (NA unless lost with a reason).
    """
    if kind == "slipped":
        states = deal_states(dates_table([filters.as_of_ts]), filters, scope)  # scoped, open
        deals = _labelled_deals(DEALS.join(states, states.c.deal_id == DEALS.c.id),
                                states.c.stage_id)  # fmt: skip
        amount: Any = states.c.amount
        conds = [in_period(DEALS.c.expected_close_at, filters)]
        closed_at: Any = sa.cast(sa.null(), sa.DateTime)
    elif kind in ("won", "lost"):
        deals, amount = _labelled_deals(), DEALS.c.amount
        conds = [
            *deal_conditions(DEALS, scope, filters),
            DEALS.c.status == kind,
            in_period(DEALS.c.closed_at, filters),
        ]
        closed_at = DEALS.c.closed_at
    else:
        raise ValueError(f"kind must be 'won', 'lost' or 'slipped', got {kind!r}")
    reason: Any = LOST_REASONS.c.name if kind == "lost" else sa.cast(sa.null(), sa.String)
    stmt = (
        sa.select(
            DEALS.c.id.label("deal_id"),
            DEALS.c.title,
            DEALS.c.account_id,
            ACCOUNTS.c.name.label("account"),
            DEALS.c.owner_id,
            EMPLOYEES.c.name.label("owner"),
            DEALS.c.product_line,
            STAGES.c.name.label("stage"),
            amount.label("amount"),
            closed_at.label("closed_at"),
            DEALS.c.expected_close_at,
            reason.label("lost_reason"),
        )
        .select_from(deals.outerjoin(LOST_REASONS, LOST_REASONS.c.id == DEALS.c.lost_reason_id))
        .where(*conds)
        .order_by(amount.desc(), DEALS.c.id)
        .limit(limit)
    )
    return read_frame(bind, stmt, _DEAL_LIST_KINDS)


_LABEL_KINDS: dict[str, Kind] = {
    "deal_id": "int",
    "title": "str",
    "account": "str",
    "owner": "str",
    "stage": "str",
    "status": "str",
    "amount": "float",
    "created_at": "datetime",
    "closed_at": "datetime",
    "expected_close_at": "datetime",
}


def deal_labels(bind: Bind, scope: Scope, deal_ids: Sequence[int]) -> pd.DataFrame:
    """Labels of the deals ``deal_ids`` that ``scope`` may see, for drill-through tables.

    Ids that do not exist or that the scope may not see are left out; no filters apply, and
    no ``as_of``: a label shows today's stage and status of a deal a list already picked.

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``title`` str, ``account`` str, ``owner`` str, ``stage`` str (current
        stage), ``status`` str (current status), ``amount`` float (``deals.amount``),
        ``created_at``, ``closed_at``, ``expected_close_at`` datetime64; ordered by deal id.
        Empty ``deal_ids`` give an empty frame with these columns.
    """
    ids = sorted({int(i) for i in deal_ids})
    if not ids:
        return empty_frame(_LABEL_KINDS)
    stmt = (
        sa.select(
            DEALS.c.id.label("deal_id"),
            DEALS.c.title,
            ACCOUNTS.c.name.label("account"),
            EMPLOYEES.c.name.label("owner"),
            STAGES.c.name.label("stage"),
            DEALS.c.status,
            DEALS.c.amount,
            DEALS.c.created_at,
            DEALS.c.closed_at,
            DEALS.c.expected_close_at,
        )
        .select_from(_labelled_deals())
        .where(DEALS.c.id.in_(ids), *deal_conditions(DEALS, scope, None))
        .order_by(DEALS.c.id)
    )
    return read_frame(bind, stmt, _LABEL_KINDS)


# ---- customers -------------------------------------------------------------------------------


# ---- overdue activities ----------------------------------------------------------------------


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
