"""Building blocks over ``deal_stage_history`` shared by the pipeline and funnel queries.

Time convention: the state of the CRM "at t" is made of the events strictly before ``t``
(``created_at < t``, ``entered_at < t``); a deal closed at exactly ``t`` is still open at ``t``.
With ``t = Filters.as_of_ts`` (midnight starting ``as_of``) this is the state at the end of the
day before ``as_of``.  Ties between history rows of one deal at the same ``entered_at`` are broken
by ``id`` (rows are inserted in order).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from crm_data.filters import Filters, Scope
from crm_data.queries.tables import ACTIVITIES, DEALS, HISTORY, STAGES
from crm_data.queries.where import deal_conditions

__all__ = [
    "is_open_stage",
    "at_timestamp",
    "dates_table",
    "deal_states",
    "is_open_at",
    "last_positions",
    "status_at",
    "still_planned_at",
]


def is_open_stage(stages: Any) -> ColumnElement[bool]:
    """True for a non-terminal stage (neither won nor lost) of ``stages`` (a table or alias)."""
    return sa.and_(stages.c.is_won == sa.false(), stages.c.is_lost == sa.false())


def at_timestamp(value: date | datetime) -> datetime:
    """A date as the timestamp of its midnight; a datetime unchanged."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min)


def dates_table(moments: Sequence[datetime], name: str = "moments") -> sa.Subquery:
    """A one-column derived table ``(t)`` holding ``moments``, as a UNION ALL of SELECTs.

    ``VALUES`` lists are spelled differently on MySQL (``VALUES ROW(...)``); a union of
    one-row SELECTs works everywhere.
    """
    selects = [sa.select(sa.literal(m, sa.DateTime).label("t")) for m in moments]
    if not selects:
        raise ValueError("at least one moment is needed")
    if len(selects) == 1:
        return selects[0].subquery(name)
    return sa.union_all(*selects).subquery(name)


def is_open_at(t: Any, deals: Any = DEALS) -> ColumnElement[bool]:
    """The deal is open at ``t`` (a datetime or a column): created before it, not closed before."""
    return sa.and_(
        deals.c.created_at < t,
        sa.or_(deals.c.closed_at.is_(None), deals.c.closed_at >= t),
    )


def still_planned_at(as_of: datetime, activities: Any = ACTIVITIES) -> ColumnElement[bool]:
    """The activity was still planned at ``as_of``: planned, or done only at/after ``as_of``."""
    act = activities.c
    return sa.or_(act.status == "planned", sa.and_(act.status == "done", act.done_at >= as_of))


def status_at(as_of: datetime, deals: Any = DEALS) -> ColumnElement[str]:
    """The deal's status at ``as_of``: ``deals.status`` if it closed before, else ``'open'``."""
    return sa.case(
        (sa.and_(deals.c.closed_at.is_not(None), deals.c.closed_at < as_of), deals.c.status),
        else_=sa.literal("open", sa.String),
    )


def deal_states(moments: sa.Subquery, filters: Filters, scope: Scope) -> sa.Subquery:
    """One row per (moment, deal open at that moment) with the deal's last history row.

    A deal is open at ``t`` when ``created_at < t`` and (``closed_at`` is NULL or
    ``closed_at >= t``); its stage and amount are those of its last history row with
    ``entered_at < t``.  Deals with no history row before ``t`` are left out.

    Parameters
    ----------
    moments : Subquery
        A derived table with one column ``t`` (see :func:`dates_table`).
    filters, scope : Filters, Scope
        Applied to ``deals`` through :func:`crm_data.queries.where.deal_conditions`.

    Returns
    -------
    Subquery
        Columns ``t, deal_id, owner_id, account_id, product_line, created_at,
        expected_close_at, stage_id, amount, stage_entered_at``.
    """
    t = moments.c.t
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(t, HISTORY.c.deal_id),
            order_by=(HISTORY.c.entered_at.desc(), HISTORY.c.id.desc()),
        )
        .label("rn")
    )
    ranked = (
        sa.select(
            t.label("t"),
            DEALS.c.id.label("deal_id"),
            DEALS.c.owner_id,
            DEALS.c.account_id,
            DEALS.c.product_line,
            DEALS.c.created_at,
            DEALS.c.expected_close_at,
            HISTORY.c.stage_id,
            HISTORY.c.amount,
            HISTORY.c.entered_at.label("stage_entered_at"),
            rank,
        )
        .select_from(
            DEALS.join(moments, is_open_at(t)).join(
                HISTORY, sa.and_(HISTORY.c.deal_id == DEALS.c.id, HISTORY.c.entered_at < t)
            )
        )
        .where(*deal_conditions(DEALS, scope, filters))
        .subquery("ranked")
    )
    return (
        sa.select(*(c for c in ranked.c if c.name != "rn"))
        .where(ranked.c.rn == 1)
        .subquery("states")
    )


def last_positions(
    deal_ids: sa.Select[Any], before: datetime | None = None, open_only: bool = True
) -> sa.Subquery:
    """Position and amount of the last stage each deal was in (by default: the last
    non-terminal one).

    With ``before=as_of`` and ``open_only=False`` the amount is the deal's amount at ``as_of``
    (``deals.amount`` is today's, changed by later history rows).

    Parameters
    ----------
    deal_ids : Select
        A one-column SELECT of the deal ids to consider.
    before : datetime, optional
        Only history rows with ``entered_at < before`` count.
    open_only : bool
        Only rows of non-terminal (open) stages count; with False the won/lost rows count too.

    Returns
    -------
    Subquery
        Columns ``deal_id, position, amount`` (one row per deal with at least one counted
        row; ``amount`` is that row's).
    """
    conds: list[sa.ColumnElement[bool]] = [HISTORY.c.deal_id.in_(deal_ids)]
    if open_only:
        conds.append(is_open_stage(STAGES))
    if before is not None:
        conds.append(HISTORY.c.entered_at < before)
    rank = sa.func.row_number().over(
        partition_by=HISTORY.c.deal_id,
        order_by=(HISTORY.c.entered_at.desc(), HISTORY.c.id.desc()),
    )
    name = "last_open" if open_only else "last_any"
    ranked = (
        sa.select(HISTORY.c.deal_id, STAGES.c.position, HISTORY.c.amount, rank.label("rn"))
        .select_from(HISTORY.join(STAGES, STAGES.c.id == HISTORY.c.stage_id))
        .where(*conds)
        .subquery(f"{name}_ranked")
    )
    return (
        sa.select(ranked.c.deal_id, ranked.c.position, ranked.c.amount)
        .where(ranked.c.rn == 1)
        .subquery(name)
    )
