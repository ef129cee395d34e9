"""Funnel facts: per-deal high-water marks, stage visits, closed deals.

Definitions follow METRICS.md "Funnel and pipeline".  The funnel cohort is the deals *created*
in ``[start, end)`` (and before ``as_of``); their history is read up to ``as_of`` (rows with
``entered_at < as_of``), so a result never depends on what happened after ``as_of``.  Stage
positions are ``stages.position``; won and lost stages are terminal and are not "open" stages.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import days_between
from crm_data.queries.frames import Bind, read_frame
from crm_data.queries.grouping import join_group
from crm_data.queries.history import (
    is_open_stage,
    last_positions,
    status_at,
)
from crm_data.queries.tables import DEALS, HISTORY, LOST_REASONS, STAGES
from crm_data.queries.where import deal_conditions, in_period

__all__ = ["stage_high_water_marks", "stage_visits", "deals_closed"]


def _cohort_conditions(filters: Filters, scope: Scope) -> list[Any]:
    """Deals created in the period and before ``as_of``, narrowed by scope and filters."""
    return [*deal_conditions(DEALS, scope, filters), in_period(DEALS.c.created_at, filters)]


def _cohort_ids(filters: Filters, scope: Scope) -> sa.Select[Any]:
    return sa.select(DEALS.c.id).where(*_cohort_conditions(filters, scope))


def _open_stage_facts(filters: Filters, scope: Scope) -> sa.Subquery:
    """Per cohort deal with an open-stage row: highest open position, regression, last open.

    One pass over the deals' open-stage history rows before ``as_of`` (one window, ordered by
    ``entered_at, id``): ``max_open_position``, ``regressed`` (1 if some row's position is below
    the previous open row's, else 0), ``last_open_position`` (the position of the last open
    row, METRICS.md "Lost at stage" for lost deals) and ``last_open_amount`` (that row's
    amount: the amount at ``as_of`` of a deal still open then).
    """
    as_of = filters.as_of_ts
    window: dict[str, Any] = {
        "partition_by": HISTORY.c.deal_id,
        "order_by": (HISTORY.c.entered_at, HISTORY.c.id),
    }
    rows = (
        sa.select(
            HISTORY.c.deal_id,
            STAGES.c.position,
            HISTORY.c.amount,
            sa.func.lag(STAGES.c.position).over(**window).label("prev_position"),
            # positions are NOT NULL: no next open row <=> the last open row
            sa.func.lead(STAGES.c.position).over(**window).label("next_position"),
        )
        .select_from(HISTORY.join(STAGES, STAGES.c.id == HISTORY.c.stage_id))
        .where(
            HISTORY.c.deal_id.in_(_cohort_ids(filters, scope)),
            HISTORY.c.entered_at < as_of,
            is_open_stage(STAGES),
        )
        .subquery("open_rows")
    )
    backward = sa.case((rows.c.position < rows.c.prev_position, 1), else_=0)
    is_last = rows.c.next_position.is_(None)
    return (
        sa.select(
            rows.c.deal_id,
            sa.func.max(rows.c.position).label("max_open_position"),
            sa.func.max(backward).label("regressed"),
            sa.func.max(sa.case((is_last, rows.c.position), else_=None)).label(
                "last_open_position"
            ),
            sa.func.max(sa.case((is_last, rows.c.amount), else_=None)).label("last_open_amount"),
        )
        .group_by(rows.c.deal_id)
        .subquery("open_facts")
    )


def _open_stage_reach(filters: Filters, scope: Scope) -> sa.Subquery:
    """:func:`_open_stage_facts` with only ``max_open_position``: one grouping of the deals'
    open-stage rows before ``as_of`` instead of a window over them (about half the work).
    ``last_open_position`` and ``last_open_amount`` are NULL; there is no ``regressed``.
    """
    return (
        sa.select(
            HISTORY.c.deal_id,
            sa.func.max(STAGES.c.position).label("max_open_position"),
            sa.cast(sa.null(), sa.Integer).label("last_open_position"),
            sa.cast(sa.null(), sa.Double).label("last_open_amount"),
        )
        .select_from(HISTORY.join(STAGES, STAGES.c.id == HISTORY.c.stage_id))
        .where(
            HISTORY.c.deal_id.in_(_cohort_ids(filters, scope)),
            HISTORY.c.entered_at < filters.as_of_ts,
            is_open_stage(STAGES),
        )
        .group_by(HISTORY.c.deal_id)
        .subquery("open_facts")
    )


def _strict_positions(filters: Filters, scope: Scope) -> sa.Subquery:
    """Per cohort deal: the strict-funnel high-water mark ``strict_ok_position``.

    The open stages of the deal's pipeline (the pipeline of its current stage), by position,
    are ``s_1 < s_2 < ...``; ``first(s)`` is the first time the deal entered ``s`` before
    ``as_of``.  Stage ``s_j`` is *bad* when ``first(s_j)`` is missing or earlier than
    ``first(s_{j-1})``.  ``strict_ok_position`` is the highest position below the first bad
    stage: the deal entered ``s_1 .. s_k`` all, in this order (other moves in between are
    allowed).  NULL when ``s_1`` itself is bad.
    """
    cohort = _cohort_ids(filters, scope)
    firsts = (
        sa.select(
            HISTORY.c.deal_id,
            HISTORY.c.stage_id,
            sa.func.min(HISTORY.c.entered_at).label("first_at"),
        )
        .where(HISTORY.c.deal_id.in_(cohort), HISTORY.c.entered_at < filters.as_of_ts)
        .group_by(HISTORY.c.deal_id, HISTORY.c.stage_id)
        .subquery("firsts")
    )
    current = STAGES.alias("current_stage")
    grid_stage = STAGES.alias("grid_stage")
    prev_first = sa.func.lag(firsts.c.first_at).over(
        partition_by=DEALS.c.id, order_by=(grid_stage.c.position, grid_stage.c.id)
    )
    grid = (
        sa.select(
            DEALS.c.id.label("deal_id"),
            grid_stage.c.position,
            firsts.c.first_at,
            prev_first.label("prev_first_at"),
        )
        .select_from(
            DEALS.join(current, current.c.id == DEALS.c.stage_id)
            .join(
                grid_stage,
                sa.and_(grid_stage.c.pipeline == current.c.pipeline, is_open_stage(grid_stage)),
            )
            .outerjoin(
                firsts,
                sa.and_(firsts.c.deal_id == DEALS.c.id, firsts.c.stage_id == grid_stage.c.id),
            )
        )
        .where(*_cohort_conditions(filters, scope))
        .subquery("grid")
    )
    bad = sa.or_(
        grid.c.first_at.is_(None),
        # an unentered previous stage is itself bad, at a lower position
        grid.c.first_at < grid.c.prev_first_at,
    )
    flagged = sa.select(
        grid.c.deal_id,
        grid.c.position,
        sa.func.min(sa.case((bad, grid.c.position), else_=None))
        .over(partition_by=grid.c.deal_id)
        .label("first_bad_position"),
    ).subquery("flagged")
    ok = sa.or_(
        flagged.c.first_bad_position.is_(None),
        flagged.c.position < flagged.c.first_bad_position,
    )
    return (
        sa.select(
            flagged.c.deal_id,
            sa.func.max(sa.case((ok, flagged.c.position), else_=None)).label("strict_ok_position"),
        )
        .group_by(flagged.c.deal_id)
        .subquery("strict")
    )


def stage_high_water_marks(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Per deal of the cohort, how far it got in the funnel (METRICS.md "Reached").

    Cohort: deals created in ``[start, end)`` (and before ``as_of``); history rows with
    ``entered_at < as_of``; status as of ``as_of`` (``'open'`` unless closed before it).

    Columns
    -------
    ``deal_id`` int, ``owner_id`` int, ``product_line`` str, ``status`` str
    (open/won/lost at ``as_of``);
    ``max_open_position`` Int64 — highest position among the open stages ever entered (the
    high-water mark; NA if the deal entered none);
    ``reached_won`` bool — status won (a won deal reached every open stage);
    ``lost`` bool — status lost;
    ``final_position`` Int64 — position of the last history row (terminal stages included);
    ``strict_ok_position`` Int64 — highest position ``k`` such that the deal entered every
    open stage of its pipeline up to ``k``, in position order (NA if it did not start in the
    first open stage; see :func:`_strict_positions`);
    ``regressed`` bool — at least one move from an open stage to a lower open stage;
    ``lost_stage_position`` Int64 — for lost deals the position of the last open stage they
    were in (METRICS.md "Lost at stage"), else NA.
    Ordered by deal id.
    """
    as_of = filters.as_of_ts
    facts = _open_stage_facts(filters, scope)
    final = last_positions(_cohort_ids(filters, scope), before=as_of, open_only=False)
    strict = _strict_positions(filters, scope)
    status = status_at(as_of)
    stmt = (
        sa.select(
            DEALS.c.id.label("deal_id"),
            DEALS.c.owner_id,
            DEALS.c.product_line,
            status.label("status"),
            facts.c.max_open_position,
            sa.case((status == "won", 1), else_=0).label("reached_won"),
            sa.case((status == "lost", 1), else_=0).label("lost"),
            final.c.position.label("final_position"),
            strict.c.strict_ok_position,
            sa.func.coalesce(facts.c.regressed, 0).label("regressed"),
            sa.case((status == "lost", facts.c.last_open_position), else_=None).label(
                "lost_stage_position"
            ),
        )
        .select_from(
            DEALS.outerjoin(facts, facts.c.deal_id == DEALS.c.id)
            .outerjoin(final, final.c.deal_id == DEALS.c.id)
            .outerjoin(strict, strict.c.deal_id == DEALS.c.id)
        )
        .where(*_cohort_conditions(filters, scope))
        .order_by(DEALS.c.id)
    )
    return read_frame(
        bind,
        stmt,
        {
            "deal_id": "int",
            "owner_id": "int",
            "product_line": "str",
            "status": "str",
            "max_open_position": "Int",
            "reached_won": "bool",
            "lost": "bool",
            "final_position": "Int",
            "strict_ok_position": "Int",
            "regressed": "bool",
            "lost_stage_position": "Int",
        },
    )


def _visits(filters: Filters, scope: Scope, group: str | None = None) -> sa.Subquery:
    """The visits of :func:`stage_visits` as a subquery (``history_id`` kept for ordering).

    Columns ``history_id, deal_id, owner_id, stage_id, position, entered_at, left_at,
    censored`` (0/1), plus ``group`` when ``group`` is given (see
    :func:`crm_data.queries.grouping.join_group`).
    """
    as_of = filters.as_of_ts
    as_of_lit = sa.literal(as_of, sa.DateTime)
    order = (HISTORY.c.entered_at, HISTORY.c.id)
    from_clause, group_col = join_group(
        HISTORY.join(DEALS, DEALS.c.id == HISTORY.c.deal_id), DEALS, group
    )
    rows = (
        sa.select(
            HISTORY.c.id.label("history_id"),
            HISTORY.c.deal_id,
            DEALS.c.owner_id,
            *([] if group_col is None else [group_col]),
            HISTORY.c.stage_id,
            HISTORY.c.entered_at,
            sa.func.lead(HISTORY.c.entered_at, type_=sa.DateTime)
            .over(partition_by=HISTORY.c.deal_id, order_by=order)
            .label("next_at"),
            DEALS.c.closed_at,
        )
        .select_from(from_clause)
        .where(*_cohort_conditions(filters, scope), HISTORY.c.entered_at < as_of)
        .subquery("visit_rows")
    )
    closed_before = sa.and_(rows.c.closed_at.is_not(None), rows.c.closed_at < as_of)
    censored = sa.and_(rows.c.next_at.is_(None), sa.not_(closed_before))
    left_at = sa.case(
        (rows.c.next_at.is_not(None), rows.c.next_at),
        (closed_before, rows.c.closed_at),
        else_=as_of_lit,
    )
    return (
        sa.select(
            rows.c.history_id,
            rows.c.deal_id,
            rows.c.owner_id,
            *([] if group_col is None else [rows.c.group]),
            rows.c.stage_id,
            STAGES.c.position,
            rows.c.entered_at,
            left_at.label("left_at"),
            sa.case((censored, 1), else_=0).label("censored"),
        )
        .select_from(rows.join(STAGES, STAGES.c.id == rows.c.stage_id))
        .where(is_open_stage(STAGES))
        .subquery("visits")
    )


def stage_visits(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """One row per visit of a cohort deal to an open stage (METRICS.md "Time in stage").

    Cohort as in :func:`stage_high_water_marks`; only history rows with ``entered_at < as_of``.
    ``left_at`` is the next ``entered_at`` of the same deal (LEAD over its rows before
    ``as_of``, terminal rows included, so the last open visit of a won deal ends when it was
    won).  Without a next row: if the deal is still open at ``as_of`` the visit is
    ``censored`` and ``left_at = as_of``; if it closed before ``as_of`` (a history without a
    terminal row) ``left_at = closed_at``.  Visits to won/lost stages are excluded.

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``owner_id`` int, ``stage_id`` int, ``position`` int,
        ``entered_at`` datetime64, ``left_at`` datetime64, ``censored`` bool,
        ``duration_days`` float (``left_at - entered_at``); ordered by deal and time.
    """
    visits = _visits(filters, scope)
    stmt = sa.select(
        *(c for c in visits.c if c.name != "history_id"),
        days_between(visits.c.entered_at, visits.c.left_at).label("duration_days"),
    ).order_by(visits.c.deal_id, visits.c.entered_at, visits.c.history_id)
    return read_frame(
        bind,
        stmt,
        {
            "deal_id": "int",
            "owner_id": "int",
            "stage_id": "int",
            "position": "int",
            "entered_at": "datetime",
            "left_at": "datetime",
            "censored": "bool",
            "duration_days": "float",
        },
    )


def _closed_conditions(filters: Filters, scope: Scope, statuses: tuple[str, ...]) -> list[Any]:
    """Deals with a status in ``statuses`` closed in ``[start, end)`` and before ``as_of``,
    narrowed as usual.
    """
    return [
        *deal_conditions(DEALS, scope, filters),
        DEALS.c.status.in_(statuses),
        in_period(DEALS.c.closed_at, filters),
    ]


def deals_closed(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Deals closed (won or lost) in ``[start, end)`` and before ``as_of`` — the basis of win
    rates and cycles.

    ``lost_stage_position`` is the position of the last open stage a lost deal was in before
    ``as_of`` (METRICS.md "Lost at stage"); ``cycle_days`` = ``closed_at - created_at`` in days.

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``owner_id`` int, ``account_id`` int, ``product_line`` str,
        ``status`` str (won/lost), ``amount`` float, ``created_at`` datetime64,
        ``closed_at`` datetime64, ``cycle_days`` float, ``lost_reason`` str (NA when none or
        won), ``lost_stage_position`` Int64 (NA unless lost); ordered by close time and id.
    """
    conds = _closed_conditions(filters, scope, ("won", "lost"))
    last_open = last_positions(sa.select(DEALS.c.id).where(*conds), before=filters.as_of_ts)
    is_lost = DEALS.c.status == "lost"
    stmt = (
        sa.select(
            DEALS.c.id.label("deal_id"),
            DEALS.c.owner_id,
            DEALS.c.account_id,
            DEALS.c.product_line,
            DEALS.c.status,
            DEALS.c.amount,
            DEALS.c.created_at,
            DEALS.c.closed_at,
            days_between(DEALS.c.created_at, DEALS.c.closed_at).label("cycle_days"),
            sa.case((is_lost, LOST_REASONS.c.name), else_=None).label("lost_reason"),
            sa.case((is_lost, last_open.c.position), else_=None).label("lost_stage_position"),
        )
        .select_from(
            DEALS.outerjoin(LOST_REASONS, LOST_REASONS.c.id == DEALS.c.lost_reason_id).outerjoin(
                last_open, last_open.c.deal_id == DEALS.c.id
            )
        )
        .where(*conds)
        .order_by(DEALS.c.closed_at, DEALS.c.id)
    )
    return read_frame(
        bind,
        stmt,
        {
            "deal_id": "int",
            "owner_id": "int",
            "account_id": "int",
            "product_line": "str",
            "status": "str",
            "amount": "float",
            "created_at": "datetime",
            "closed_at": "datetime",
            "cycle_days": "float",
            "lost_reason": "str",
            "lost_stage_position": "Int",
        },
    )
