"""Open pipeline: snapshots of open deals, pipeline by stage, stuck-deal candidates.

Definitions follow METRICS.md "Funnel and pipeline" (pipeline snapshot, weighted pipeline,
stuck deal).  The state "at t" uses the events strictly before ``t`` (see
:mod:`crm_data.queries.history`); a snapshot at a date is taken at that date's midnight, so
``pipeline_snapshots(..., [d])`` agrees with ``open_pipeline_by_stage`` for ``as_of=d``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import days_between
from crm_data.queries.frames import Bind, Kind, empty_frame, read_frame
from crm_data.queries.history import (
    at_timestamp,
    dates_table,
    deal_states,
    is_open_stage,
    still_planned_at,
)
from crm_data.queries.tables import ACTIVITIES, STAGES

__all__ = ["open_pipeline_by_stage", "pipeline_snapshots", "stuck_deal_candidates"]


def open_pipeline_by_stage(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Open pipeline at ``filters.as_of_ts`` by stage (count, amount, weighted amount).

    A deal is in the pipeline when it was created before ``as_of`` and not closed before it;
    it sits in the stage of its last history row with ``entered_at < as_of`` and counts with
    that row's amount.  **Weighted pipeline** = Σ amount × stage probability.

    Every open (non-won, non-lost) stage is listed, restricted to ``filters.pipeline`` when set,
    with 0 deals and 0 amount when empty.  Deals whose history places them in a terminal stage
    while still open (inconsistent data) are not counted.

    Returns
    -------
    DataFrame
        ``stage_id`` int, ``stage`` str, ``position`` int, ``probability`` float,
        ``deals`` int, ``amount`` float, ``weighted_amount`` float; ordered by position.
    """
    states = deal_states(dates_table([filters.as_of_ts]), filters, scope)
    per_stage = (
        sa.select(
            states.c.stage_id,
            sa.func.count().label("deals"),
            sa.func.sum(states.c.amount).label("amount"),
        )
        .group_by(states.c.stage_id)
        .subquery("per_stage")
    )
    amount = sa.func.coalesce(per_stage.c.amount, 0.0)
    stage_conds = [is_open_stage(STAGES)]
    if filters.pipeline:
        stage_conds.append(STAGES.c.pipeline == filters.pipeline)
    stmt = (
        sa.select(
            STAGES.c.id.label("stage_id"),
            STAGES.c.name.label("stage"),
            STAGES.c.position,
            STAGES.c.probability,
            sa.func.coalesce(per_stage.c.deals, 0).label("deals"),
            amount.label("amount"),
            (amount * STAGES.c.probability).label("weighted_amount"),
        )
        .select_from(STAGES.outerjoin(per_stage, per_stage.c.stage_id == STAGES.c.id))
        .where(*stage_conds)
        .order_by(STAGES.c.position, STAGES.c.id)
    )
    return read_frame(
        bind,
        stmt,
        {
            "stage_id": "int",
            "stage": "str",
            "position": "int",
            "probability": "float",
            "deals": "int",
            "amount": "float",
            "weighted_amount": "float",
        },
    )


_SNAPSHOT_KINDS: dict[str, Kind] = {
    "snapshot_date": "datetime",
    "deal_id": "int",
    "owner_id": "int",
    "stage_id": "int",
    "position": "int",
    "amount": "float",
}


def pipeline_snapshots(
    bind: Bind, filters: Filters, scope: Scope, dates: Sequence[date]
) -> pd.DataFrame:
    """The deals open at each of ``dates`` (METRICS.md "Pipeline snapshot at t").

    The snapshot at date ``d`` is taken at ``d``'s midnight: deals with ``created_at < d`` and
    not closed before ``d``, in the stage of their last history row with ``entered_at < d``,
    with that row's amount.  A date after ``filters``' as_of is taken at as_of (nothing later
    is known, :meth:`~crm_data.filters.Filters.capped`).  One query for all dates (a derived
    table of the dates joined to the deals, and a window to pick the last history row).
    ``filters`` narrow the deals (not the dates; the period is ignored).

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    filters, scope : Filters, Scope
        Narrowing lists and access scope.
    dates : sequence of date
        Snapshot dates (duplicates are dropped; the dates after as_of make one snapshot at
        as_of); an empty sequence gives an empty frame.

    Returns
    -------
    DataFrame
        ``snapshot_date`` datetime64 (midnight), ``deal_id`` int, ``owner_id`` int,
        ``stage_id`` int, ``position`` int, ``amount`` float; one row per (date, open deal),
        ordered by date and deal.
    """
    moments = sorted({filters.capped(at_timestamp(d)) for d in dates})
    if not moments:
        return empty_frame(_SNAPSHOT_KINDS)
    states = deal_states(dates_table(moments), filters, scope)
    stmt = (
        sa.select(
            states.c.t.label("snapshot_date"),
            states.c.deal_id,
            states.c.owner_id,
            states.c.stage_id,
            STAGES.c.position,
            states.c.amount,
        )
        .select_from(states.join(STAGES, STAGES.c.id == states.c.stage_id))
        .order_by(states.c.t, states.c.deal_id)
    )
    return read_frame(bind, stmt, _SNAPSHOT_KINDS)


def stuck_deal_candidates(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Open deals at ``as_of`` with what the "stuck deal" flags need (METRICS.md).

    Current stage and amount come from the last history row before ``as_of``;
    ``days_in_stage`` = days from that row's ``entered_at`` to ``as_of`` (a deal that left a
    stage and came back counts from the return).  ``last_activity_at`` is the latest
    ``done_at < as_of`` of the deal's done activities; ``next_activity_due_at`` the earliest
    ``due_at >= as_of`` of its activities that were still planned at ``as_of`` (status planned,
    or done at/after ``as_of``).  Activities are looked up by ``deal_id`` whoever did them (the
    deal itself is scoped by its owner).  Flagging (rot_days, KM p90, 14-day silence) is left to
    ``analytics``.

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``owner_id`` int, ``account_id`` int, ``product_line`` str,
        ``stage_id`` int, ``stage`` str, ``position`` int, ``rot_days`` Int64,
        ``stage_entered_at`` datetime64, ``days_in_stage`` float,
        ``created_at`` datetime64, ``expected_close_at`` datetime64 (NaT if unset),
        ``last_activity_at`` datetime64 (NaT if none), ``next_activity_due_at`` datetime64
        (NaT if none), ``amount`` float; ordered by deal id.
    """
    as_of = filters.as_of_ts
    states = deal_states(dates_table([as_of]), filters, scope)
    act = ACTIVITIES.c
    last_done = (
        sa.select(sa.func.max(act.done_at))
        .where(act.deal_id == states.c.deal_id, act.status == "done", act.done_at < as_of)
        .scalar_subquery()
    )
    next_due = (
        sa.select(sa.func.min(act.due_at))
        .where(act.deal_id == states.c.deal_id, still_planned_at(as_of), act.due_at >= as_of)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            states.c.deal_id,
            states.c.owner_id,
            states.c.account_id,
            states.c.product_line,
            states.c.stage_id,
            STAGES.c.name.label("stage"),
            STAGES.c.position,
            STAGES.c.rot_days,
            states.c.stage_entered_at,
            days_between(states.c.stage_entered_at, sa.literal(as_of, sa.DateTime)).label(
                "days_in_stage"
            ),
            states.c.created_at,
            states.c.expected_close_at,
            last_done.label("last_activity_at"),
            next_due.label("next_activity_due_at"),
            states.c.amount,
        )
        .select_from(states.join(STAGES, STAGES.c.id == states.c.stage_id))
        .order_by(states.c.deal_id)
    )
    return read_frame(
        bind,
        stmt,
        {
            "deal_id": "int",
            "owner_id": "int",
            "account_id": "int",
            "product_line": "str",
            "stage_id": "int",
            "stage": "str",
            "position": "int",
            "rot_days": "Int",
            "stage_entered_at": "datetime",
            "days_in_stage": "float",
            "created_at": "datetime",
            "expected_close_at": "datetime",
            "last_activity_at": "datetime",
            "next_activity_due_at": "datetime",
            "amount": "float",
        },
    )
