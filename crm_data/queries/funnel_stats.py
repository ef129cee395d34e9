"""Aggregated funnel queries: small frames of counts for the Funnel page and its analytics.

The per-deal queries of :mod:`crm_data.queries.funnel` return one row per deal or visit (some
700 k rows for a year of a large CRM); the functions here aggregate the same facts in SQL and
return a few hundred rows, which :mod:`analytics.funnel` and :mod:`analytics.survival` read as
weighted input (a ``deals`` or ``visits`` count per row).  Definitions follow METRICS.md
"Funnel and pipeline" and are those of the per-deal queries:

* the *cohort* is the deals created in ``[start, end)`` and before ``as_of``, with their
  history up to ``as_of`` (:func:`funnel_facts`, :func:`stage_durations`,
  :func:`stage_transitions`);
* the *closed deals* are those won or lost in ``[start, end)`` and before ``as_of``
  (:func:`closed_deal_stats`, :func:`lost_deal_reasons`);
* :func:`pipeline_pairs` compares two pipeline snapshots.

Grouped functions take ``group``, a key of :data:`crm_data.queries.grouping.GROUPINGS`, and then
return a ``group`` text column (``"(none)"`` where the dimension is missing).  Durations are
binned down to 0.1 day by :func:`crm_data.portable.bin_down`, identically on every dialect.
Rows come back sorted by their key columns (missing values first).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import bin_down, days_between
from crm_data.queries.frames import Bind, Kind, connect, read_frame, sort_rows
from crm_data.queries.funnel import (
    _closed_conditions,
    _cohort_conditions,
    _cohort_ids,
    _open_stage_facts,
    _open_stage_reach,
    _strict_positions,
    _visits,
)
from crm_data.queries.grouping import check_group, join_group
from crm_data.queries.history import (
    at_timestamp,
    dates_table,
    deal_states,
    is_open_stage,
    last_positions,
    status_at,
)
from crm_data.queries.tables import DEALS, HISTORY, LOST_REASONS, STAGES
from crm_data.queries.where import deal_conditions, owner_conditions
from crm_data.schema import Quota

__all__ = [
    "funnel_facts",
    "stage_durations",
    "stage_transitions",
    "closed_deal_stats",
    "lost_deal_reasons",
    "open_deal_counts",
    "pipeline_pairs",
    "quota_total",
    "funnel_stages",
    "pipeline_names",
]

QUOTAS: sa.Table = Quota.__table__  # type: ignore[assignment]

#: Durations are binned down to 1 / _PER_DAY day.
_PER_DAY = 10


def _group_kinds(group: str | None) -> dict[str, Kind]:
    return {} if group is None else {"group": "str"}


def _grouped(rows: sa.Subquery, keys: Sequence[str], *measures: Any) -> sa.Select[Any]:
    """``SELECT keys…, measures… FROM rows GROUP BY keys``; a ``bin`` key is grouped on but not
    selected (the measures select it scaled).
    """
    return sa.select(*(rows.c[k] for k in keys if k != "bin"), *measures).group_by(
        *(rows.c[k] for k in keys)
    )


def _deals_and_amount(rows: sa.Subquery) -> tuple[Any, Any]:
    """The ``deals`` count and the ``amount`` sum of grouped deal rows."""
    return sa.func.count().label("deals"), sa.func.sum(rows.c.amount).label("amount")


def _read_sorted(
    bind: Bind, stmt: sa.Select[Any], kinds: dict[str, Kind], keys: Sequence[str]
) -> pd.DataFrame:
    """``read_frame`` sorted by ``keys`` with missing values first (NULL order differs in SQL)."""
    return sort_rows(read_frame(bind, stmt, kinds), keys)


def funnel_facts(
    bind: Bind,
    filters: Filters,
    scope: Scope,
    *,
    group: str | None = None,
    strict: bool = False,
    reach_only: bool = False,
) -> pd.DataFrame:
    """The funnel cohort counted by how far its deals got (METRICS.md "Reached").

    Also the basis of "Strict funnel", "Lost at stage" and "Regression rate".  The per-deal
    definitions are those of :func:`~crm_data.queries.funnel.stage_high_water_marks`; the
    deals of the cohort (created in ``[start, end)`` and before ``as_of``) are counted per
    combination of them, in one pass over their history (one window function).

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    filters, scope : Filters, Scope
        Period (cohort), ``as_of``, narrowing lists and access scope.
    group : str, optional
        A key of :data:`~crm_data.queries.grouping.GROUPINGS`.
    strict : bool
        Also compute ``strict_ok_position`` (a per-deal grid of the pipeline's stages, the
        costly part); without it the column is all NA.
    reach_only : bool
        Compute only how far the deals got and their status, what stage win rates need (one
        grouping of the history instead of a window over it, about half the work): there is
        then no ``regressed`` column, ``lost_stage_position`` is NA and ``amount`` NaN.

    Returns
    -------
    DataFrame
        ``group`` str (only with ``group``), ``max_open_position`` Int64 (NA: the deal entered
        no open stage before ``as_of``), ``strict_ok_position`` Int64, ``status`` str
        (open/won/lost at ``as_of``), ``regressed`` bool, ``lost_stage_position`` Int64 (NA
        unless lost), ``deals`` int, ``amount`` float (Σ of the deals' amounts at ``as_of``:
        a deal open then counts with the amount of its last history row before ``as_of``).

    Raises
    ------
    ValueError
        For an unknown ``group``.
    """
    as_of = filters.as_of_ts
    facts = (_open_stage_reach if reach_only else _open_stage_facts)(filters, scope)
    status = status_at(as_of)
    if reach_only:  # the amount at as_of needs the last open row, which this pass does not read
        amount: Any = sa.cast(sa.null(), sa.Double)
    else:  # a deal open at as_of has the amount of its last (open) row before as_of, a closed
        # one its final amount (as has a deal without history rows)
        amount = sa.case(
            (status == "open", sa.func.coalesce(facts.c.last_open_amount, DEALS.c.amount)),
            else_=DEALS.c.amount,
        )
    # a reach-only pass has no regression column at all: a regression rate cannot be taken
    # from it by mistake (analytics.funnel.regression_rate requires the column)
    regressed = [] if reach_only else ["regressed"]
    from_clause: sa.FromClause = DEALS.outerjoin(facts, facts.c.deal_id == DEALS.c.id)
    strict_cols: list[Any] = []
    if strict:
        strict_sub = _strict_positions(filters, scope)
        from_clause = from_clause.outerjoin(strict_sub, strict_sub.c.deal_id == DEALS.c.id)
        strict_cols = [strict_sub.c.strict_ok_position]
    from_clause, group_col = join_group(from_clause, DEALS, group)
    per_deal = (
        sa.select(
            *([] if group_col is None else [group_col]),
            facts.c.max_open_position,
            *strict_cols,
            status.label("status"),
            *[sa.func.coalesce(facts.c.regressed, 0).label(name) for name in regressed],
            sa.case((status == "lost", facts.c.last_open_position), else_=None).label(
                "lost_stage_position"
            ),
            amount.label("amount"),
        )
        .select_from(from_clause)
        .where(*_cohort_conditions(filters, scope))
        .subquery("per_deal")
    )
    keys = [
        *([] if group is None else ["group"]),
        "max_open_position",
        *(["strict_ok_position"] if strict else []),
        "status",
        *regressed,
        "lost_stage_position",
    ]
    stmt = _grouped(
        per_deal,
        keys,
        *([] if strict else [sa.null().label("strict_ok_position")]),
        *_deals_and_amount(per_deal),
    )
    kinds: dict[str, Kind] = {
        **_group_kinds(group),
        "max_open_position": "Int",
        "strict_ok_position": "Int",
        "status": "str",
        **{name: "bool" for name in regressed},
        "lost_stage_position": "Int",
        "deals": "int",
        "amount": "float",
    }
    return _read_sorted(bind, stmt, kinds, keys)


def stage_durations(
    bind: Bind, filters: Filters, scope: Scope, *, group: str | None = None
) -> pd.DataFrame:
    """Visits of cohort deals to open stages counted by duration (METRICS.md "Time in stage").

    The visits are those of :func:`~crm_data.queries.funnel.stage_visits` (``left_at`` = the
    next ``entered_at``; censored at ``as_of`` while the deal is still in the stage), counted
    per stage, censoring and duration binned down to 0.1 day — the input of a weighted
    Kaplan–Meier estimate.

    Returns
    -------
    DataFrame
        ``group`` str (only with ``group``), ``stage_id`` int, ``position`` int,
        ``duration_days`` float (lower edge of the 0.1-day bin: 3.4 for 3.47 days),
        ``censored`` bool, ``visits`` int.

    Raises
    ------
    ValueError
        For an unknown ``group``.
    """
    visits = _visits(filters, scope, check_group(group))
    binned = sa.select(
        *([] if group is None else [visits.c.group]),
        visits.c.stage_id,
        visits.c.position,
        bin_down(days_between(visits.c.entered_at, visits.c.left_at), _PER_DAY).label("bin"),
        visits.c.censored,
    ).subquery("binned")
    keys = [*([] if group is None else ["group"]), "stage_id", "position", "bin", "censored"]
    stmt = _grouped(
        binned,
        keys,
        (binned.c.bin / float(_PER_DAY)).label("duration_days"),
        sa.func.count().label("visits"),
    )
    kinds: dict[str, Kind] = {
        **_group_kinds(group),
        "stage_id": "int",
        "position": "int",
        "duration_days": "float",
        "censored": "bool",
        "visits": "int",
    }
    order = [*([] if group is None else ["group"]), "stage_id", "duration_days", "censored"]
    return _read_sorted(bind, stmt, kinds, order)


def stage_transitions(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Stage-to-stage moves of the cohort's deals (for a flow diagram of the funnel).

    Every history row of a cohort deal before ``as_of`` is a move from the stage of the
    deal's previous row (NA for its first row, the creation) to the row's stage; rows that
    keep the stage (an amount change) are moves from a stage to itself.

    Returns
    -------
    DataFrame
        ``from_stage_id`` Int64, ``to_stage_id`` int, ``moves`` int, ``deals`` int (distinct
        deals making the move); ordered by from (NA first) and to.
    """
    window: dict[str, Any] = {
        "partition_by": HISTORY.c.deal_id,
        "order_by": (HISTORY.c.entered_at, HISTORY.c.id),
    }
    rows = (
        sa.select(
            HISTORY.c.deal_id,
            sa.func.lag(HISTORY.c.stage_id).over(**window).label("from_stage_id"),
            HISTORY.c.stage_id.label("to_stage_id"),
        )
        .where(
            HISTORY.c.deal_id.in_(_cohort_ids(filters, scope)),
            HISTORY.c.entered_at < filters.as_of_ts,
        )
        .subquery("moves")
    )
    stmt = sa.select(
        rows.c.from_stage_id,
        rows.c.to_stage_id,
        sa.func.count().label("moves"),
        sa.func.count(sa.distinct(rows.c.deal_id)).label("deals"),
    ).group_by(rows.c.from_stage_id, rows.c.to_stage_id)
    kinds: dict[str, Kind] = {
        "from_stage_id": "Int",
        "to_stage_id": "int",
        "moves": "int",
        "deals": "int",
    }
    return _read_sorted(bind, stmt, kinds, ["from_stage_id", "to_stage_id"])


def closed_deal_stats(
    bind: Bind, filters: Filters, scope: Scope, *, group: str | None = None, binned: bool = True
) -> pd.DataFrame:
    """Deals won or lost in ``[start, end)`` and before ``as_of`` by status and cycle
    (METRICS.md "Win rate").

    Also the basis of "Sales cycle" and "Sales velocity".  The deals are those of
    :func:`~crm_data.queries.funnel.deals_closed`; the cycle is ``closed_at - created_at`` in
    days, binned down to 0.1 day (its exact sum is kept, for means).  With ``binned=False``
    the cycle is not binned (``cycle_days`` is NaN, one row per group and status): enough for
    win rates, and far fewer rows when grouped by rep.

    Returns
    -------
    DataFrame
        ``group`` str (only with ``group``), ``status`` str (won/lost), ``cycle_days`` float
        (lower edge of the 0.1-day bin), ``deals`` int, ``amount`` float (Σ ``deals.amount``),
        ``cycle_days_sum`` float (Σ of the unbinned cycles).

    Raises
    ------
    ValueError
        For an unknown ``group``.
    """
    from_clause, group_col = join_group(DEALS, DEALS, group)
    cycle = days_between(DEALS.c.created_at, DEALS.c.closed_at)
    per_deal = (
        sa.select(
            *([] if group_col is None else [group_col]),
            DEALS.c.status,
            (bin_down(cycle, _PER_DAY) if binned else sa.cast(sa.null(), sa.Double)).label("bin"),
            cycle.label("cycle_days"),
            DEALS.c.amount,
        )
        .select_from(from_clause)
        .where(*_closed_conditions(filters, scope, ("won", "lost")))
        .subquery("closed")
    )
    keys = [*([] if group is None else ["group"]), "status", "bin"]
    stmt = _grouped(
        per_deal,
        keys,
        (per_deal.c.bin / float(_PER_DAY)).label("cycle_days"),
        *_deals_and_amount(per_deal),
        sa.func.sum(per_deal.c.cycle_days).label("cycle_days_sum"),
    )
    kinds: dict[str, Kind] = {
        **_group_kinds(group),
        "status": "str",
        "cycle_days": "float",
        "deals": "int",
        "amount": "float",
        "cycle_days_sum": "float",
    }
    return _read_sorted(bind, stmt, kinds, [*keys[:-1], "cycle_days"])


def lost_deal_reasons(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Deals lost in ``[start, end)`` and before ``as_of`` by stage, owner and reason
    (METRICS.md "Lost reasons").

    The stage is the last open stage the deal was in (METRICS.md "Lost at stage"); the deals
    are the lost ones of :func:`~crm_data.queries.funnel.deals_closed`.

    Returns
    -------
    DataFrame
        ``lost_stage_position`` Int64 (position of the last open stage the deal was in; NA if
        it never entered one), ``owner_id`` int, ``lost_reason`` str (NA: no reason given),
        ``deals`` int, ``amount`` float (Σ ``deals.amount``).
    """
    conds = _closed_conditions(filters, scope, ("lost",))
    last_open = last_positions(sa.select(DEALS.c.id).where(*conds), before=filters.as_of_ts)
    per_deal = (
        sa.select(
            last_open.c.position.label("lost_stage_position"),
            DEALS.c.owner_id,
            LOST_REASONS.c.name.label("lost_reason"),
            DEALS.c.amount,
        )
        .select_from(
            DEALS.outerjoin(LOST_REASONS, LOST_REASONS.c.id == DEALS.c.lost_reason_id).outerjoin(
                last_open, last_open.c.deal_id == DEALS.c.id
            )
        )
        .where(*conds)
        .subquery("lost")
    )
    keys = ["lost_stage_position", "owner_id", "lost_reason"]
    stmt = _grouped(per_deal, keys, *_deals_and_amount(per_deal))
    kinds: dict[str, Kind] = {
        "lost_stage_position": "Int",
        "owner_id": "int",
        "lost_reason": "str",
        "deals": "int",
        "amount": "float",
    }
    return _read_sorted(bind, stmt, kinds, keys)


def pipeline_pairs(
    bind: Bind,
    filters: Filters,
    scope: Scope,
    start: date,
    end: date,
    *,
    group: str | None = None,
) -> pd.DataFrame:
    """Deals open at ``start`` or ``end``, with both states (METRICS.md "Pipeline change").

    Snapshots ("Pipeline snapshot at t") are those of
    :func:`~crm_data.queries.pipeline.pipeline_snapshots`, taken at the midnights of
    ``start`` and ``end``, each at ``filters``' as_of at the latest (nothing later is known:
    :meth:`~crm_data.filters.Filters.capped`).  ``filters`` narrow the deals (its period is
    ignored).

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``group`` str (only with ``group``), ``position_0`` Int64 and
        ``amount_0`` float (NA/NaN when not open at ``start``), ``position_1`` Int64 and
        ``amount_1`` float (NA/NaN when not open at ``end``), ``status_1`` str (open/won/lost
        at ``end``'s snapshot); ordered by deal id.

    Raises
    ------
    ValueError
        If ``start`` is not before ``end``, or for an unknown ``group``.
    """
    if not start < end:
        raise ValueError(f"start {start} must be before end {end}.")
    check_group(group)
    t0, t1 = (filters.capped(at_timestamp(d)) for d in (start, end))
    states = deal_states(dates_table(sorted({t0, t1})), filters, scope)

    def at(t: datetime, column: Any) -> Any:
        return sa.func.max(sa.case((states.c.t == sa.literal(t, sa.DateTime), column), else_=None))

    per_deal = (
        sa.select(
            states.c.deal_id,
            at(t0, STAGES.c.position).label("position_0"),
            at(t0, states.c.amount).label("amount_0"),
            at(t1, STAGES.c.position).label("position_1"),
            at(t1, states.c.amount).label("amount_1"),
        )
        .select_from(states.join(STAGES, STAGES.c.id == states.c.stage_id))
        .group_by(states.c.deal_id)
        .subquery("pairs")
    )
    from_clause, group_col = join_group(
        per_deal.join(DEALS, DEALS.c.id == per_deal.c.deal_id), DEALS, group
    )
    stmt = (
        sa.select(
            per_deal.c.deal_id,
            *([] if group_col is None else [group_col]),
            per_deal.c.position_0,
            per_deal.c.amount_0,
            per_deal.c.position_1,
            per_deal.c.amount_1,
            status_at(t1).label("status_1"),
        )
        .select_from(from_clause)
        .order_by(per_deal.c.deal_id)
    )
    kinds: dict[str, Kind] = {
        "deal_id": "int",
        **_group_kinds(group),
        "position_0": "Int",
        "amount_0": "float",
        "position_1": "Int",
        "amount_1": "float",
        "status_1": "str",
    }
    return read_frame(bind, stmt, kinds)


def open_deal_counts(
    bind: Bind, filters: Filters, scope: Scope, *, group: str | None = None
) -> pd.DataFrame:
    """Deals open at ``filters``' as_of and their amount (METRICS.md "Pipeline snapshot at t"),
    per group: the ``open deals`` factor of "Sales velocity" split by a dimension.

    Open deals and amounts are those of :func:`~crm_data.queries.pipeline.open_pipeline_by_stage`
    (the amount of the last stage change before as_of).

    Returns
    -------
    DataFrame
        ``group`` str (only with ``group``), ``open_deals`` int, ``amount`` float; ordered by
        group.  Without ``group``: one row (0 deals when none is open).

    Raises
    ------
    ValueError
        For an unknown ``group``.
    """
    states = deal_states(dates_table([filters.as_of_ts]), filters, scope)
    from_clause, group_col = join_group(
        states.join(DEALS, DEALS.c.id == states.c.deal_id), DEALS, group
    )
    group_cols: list[Any] = [] if group_col is None else [group_col]
    stmt = sa.select(
        *group_cols,
        sa.func.count().label("open_deals"),
        sa.func.coalesce(sa.func.sum(states.c.amount), 0.0).label("amount"),
    ).select_from(from_clause)
    if group_col is not None:
        stmt = stmt.group_by(group_col)
    kinds: dict[str, Kind] = {**_group_kinds(group), "open_deals": "int", "amount": "float"}
    return _read_sorted(bind, stmt, kinds, [] if group is None else ["group"])


def quota_total(bind: Bind, filters: Filters, scope: Scope, start: date, end: date) -> float:
    """Σ of the quota targets inside ``[start, end)`` (METRICS.md "Pipeline coverage").

    Counts the ``quotas`` rows with ``period_start >= start`` and ``period_end <= end`` of the
    reps the scope and the team/rep filters allow; region, segment and product-line filters do
    not narrow quotas (a quota belongs to a rep).  ``filters``' period and as_of are ignored: a
    quota is a target set for a period, not an event.

    Returns
    -------
    float
        The sum; 0.0 when no quota matches.
    """
    stmt = sa.select(sa.func.sum(QUOTAS.c.revenue_target)).where(
        QUOTAS.c.period_start >= start,
        QUOTAS.c.period_end <= end,
        *owner_conditions(QUOTAS.c.employee_id, scope, filters),
    )
    with connect(bind) as conn:
        total = conn.execute(stmt).scalar()
    return 0.0 if total is None else float(total)


def pipeline_names(bind: Bind) -> list[str]:
    """The names of the pipelines that have at least one open stage, sorted."""
    stmt = sa.select(STAGES.c.pipeline).where(is_open_stage(STAGES)).distinct()
    with connect(bind) as conn:
        return sorted(str(name) for name in conn.execute(stmt).scalars())


def _busiest_pipeline(bind: Bind, scope: Scope | None) -> str | None:
    """The pipeline with the most deals ``scope`` may see, then the most deals overall, then
    the first name (None without stages).
    """

    def counts(*conditions: Any) -> dict[str, int]:
        joined = sa.and_(DEALS.c.stage_id == STAGES.c.id, *conditions)
        stmt = (
            sa.select(STAGES.c.pipeline, sa.func.count(DEALS.c.id))
            .select_from(STAGES.outerjoin(DEALS, joined))
            .group_by(STAGES.c.pipeline)
        )
        with connect(bind) as conn:
            return {str(name): int(n) for name, n in conn.execute(stmt)}

    total = counts()
    scoped = deal_conditions(DEALS, scope, None) if scope is not None else []
    visible = counts(*scoped) if scoped else total
    return min(total, key=lambda name: (-visible.get(name, 0), -total[name], name), default=None)


def funnel_stages(
    bind: Bind,
    pipeline: str | None = None,
    scope: Scope | None = None,
    *,
    terminal: bool = False,
) -> pd.DataFrame:
    """The open stages of one pipeline, in funnel order (METRICS.md "Stage order").

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    pipeline : str, optional
        The pipeline; by default the one with the most deals ``scope`` may see (counted by
        their current stage), then the most deals overall, then the first name.
    scope : Scope, optional
        Whose deals choose the default pipeline (default: everyone's).
    terminal : bool
        Also list the pipeline's won and lost stages, and add the bool columns ``is_won`` and
        ``is_lost`` (for flow diagrams).

    Returns
    -------
    DataFrame
        ``stage_id`` int, ``stage`` str, ``position`` int, ``probability`` float,
        ``rot_days`` Int64, ``pipeline`` str (+ ``is_won``, ``is_lost`` bool with
        ``terminal``); ordered by position (then id).  Empty for an unknown pipeline.
    """
    if pipeline is None:
        pipeline = _busiest_pipeline(bind, scope)
    kinds: dict[str, Kind] = {
        "stage_id": "int",
        "stage": "str",
        "position": "int",
        "probability": "float",
        "rot_days": "Int",
        "pipeline": "str",
    }
    conds = [STAGES.c.pipeline == pipeline]
    if terminal:
        kinds.update(is_won="bool", is_lost="bool")
    else:
        conds.append(is_open_stage(STAGES))
    stmt = (
        sa.select(
            STAGES.c.id.label("stage_id"),
            STAGES.c.name.label("stage"),
            STAGES.c.position,
            STAGES.c.probability,
            STAGES.c.rot_days,
            STAGES.c.pipeline,
            STAGES.c.is_won,
            STAGES.c.is_lost,
        )
        .where(*conds)
        .order_by(STAGES.c.position, STAGES.c.id)
    )
    return read_frame(bind, stmt, kinds)
