"""Rows of the pipeline win model and the cycle times of the close-month probabilities
(METRICS.md "Pipeline forecast"; methods.md §5.7).

The model learns from past pipeline snapshots: one row per (deal, snapshot date) with what
was known *at* the snapshot and what happened in the ``horizon_days`` after it.  The time
convention is :mod:`crm_data.queries.history`'s: the state at ``t`` is made of the events
strictly before ``t`` (a snapshot at a date is taken at its midnight), so every feature of a
row uses only rows dated before its snapshot; the outcome uses only rows dated before
``min(t + horizon, as_of)`` (nothing at or after ``as_of`` counts).

Features of a row (the same for :func:`pipeline_training_rows` and :func:`open_deal_features`):

* ``stage_id``, ``position``, ``amount`` — of the deal's last history row before ``t``
  (:func:`crm_data.queries.history.deal_states`);
* ``days_in_stage`` — days from that row's ``entered_at`` to ``t``, as in
  :func:`crm_data.queries.pipeline.stuck_deal_candidates` (a return to a stage, or an amount
  change recorded as a new row, starts the count again);
* ``age_days`` — days from the deal's ``created_at`` to ``t``;
* ``activities_14d`` — the deal's done activities with ``t − 14 days <= done_at < t``
  (:data:`ACTIVITY_WINDOW_DAYS`), whoever did them;
* ``owner_id``, ``product_line``, ``source`` — the deal's attributes as they are now: the
  schema keeps no history of them (a deal handed over keeps only its last owner).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import bin_down, days_between
from crm_data.queries.frames import Bind, Kind, empty_frame, read_frame, sort_rows
from crm_data.queries.history import at_timestamp, deal_states, status_at
from crm_data.queries.tables import ACTIVITIES, DEALS, STAGES
from crm_data.queries.where import deal_conditions, in_period

__all__ = ["deal_cycle_times", "open_deal_features", "pipeline_training_rows"]

#: ``activities_14d`` counts the done activities of this many days before the snapshot.
ACTIVITY_WINDOW_DAYS = 14
#: Cycle times are binned down to 1 / _PER_DAY day (as the funnel's stage durations).
_PER_DAY = 10

_FEATURE_KINDS: dict[str, Kind] = {
    "snapshot_date": "datetime",
    "deal_id": "int",
    "owner_id": "int",
    "stage_id": "int",
    "position": "int",
    "amount": "float",
    "days_in_stage": "float",
    "age_days": "float",
    "activities_14d": "int",
    "product_line": "str",
    "source": "str",
}
_OUTCOME_KINDS: dict[str, Kind] = {"outcome": "str", "won": "bool", "horizon_end": "datetime"}


def _moments_table(moments: Sequence[datetime], horizon_days: int, as_of: datetime) -> sa.Subquery:
    """A derived table ``(t, activity_from, horizon_end)``, one row per moment.

    ``activity_from = t − 14 days``; ``horizon_end = min(t + horizon_days, as_of)``.  The dates
    are computed here, so the SQL needs no date arithmetic (spelled differently per dialect).
    """
    selects = [
        sa.select(
            sa.literal(t, sa.DateTime).label("t"),
            sa.literal(t - timedelta(days=ACTIVITY_WINDOW_DAYS), sa.DateTime).label(
                "activity_from"
            ),
            sa.literal(min(t + timedelta(days=horizon_days), as_of), sa.DateTime).label(
                "horizon_end"
            ),
        )
        for t in moments
    ]
    if len(selects) == 1:
        return selects[0].subquery("moments")
    return sa.union_all(*selects).subquery("moments")


def _feature_select(
    moments: Sequence[datetime],
    filters: Filters,
    scope: Scope,
    horizon_days: int,
    with_outcome: bool,
) -> sa.Select[Any]:
    """The features (and outcome) of every deal open at each moment; see the module doc."""
    as_of = filters.as_of_ts
    table = _moments_table(moments, horizon_days, as_of)
    states = deal_states(table, filters, scope)
    act = ACTIVITIES.c
    activities = (
        sa.select(sa.func.count())
        .where(
            act.deal_id == states.c.deal_id,
            act.status == "done",
            act.done_at >= table.c.activity_from,
            act.done_at < states.c.t,
        )
        .scalar_subquery()
    )
    outcome: list[Any] = []
    if with_outcome:
        closed = sa.and_(DEALS.c.closed_at.is_not(None), DEALS.c.closed_at < table.c.horizon_end)
        status = sa.case((closed, DEALS.c.status), else_=sa.literal("open", sa.String))
        outcome = [
            status.label("outcome"),
            sa.case((status == "won", 1), else_=0).label("won"),
            table.c.horizon_end,
        ]
    return (
        sa.select(
            states.c.t.label("snapshot_date"),
            states.c.deal_id,
            states.c.owner_id,
            states.c.stage_id,
            STAGES.c.position,
            states.c.amount,
            days_between(states.c.stage_entered_at, states.c.t).label("days_in_stage"),
            days_between(states.c.created_at, states.c.t).label("age_days"),
            activities.label("activities_14d"),
            states.c.product_line,
            DEALS.c.source,
            *outcome,
        )
        .select_from(
            states.join(table, table.c.t == states.c.t)
            .join(STAGES, STAGES.c.id == states.c.stage_id)
            .join(DEALS, DEALS.c.id == states.c.deal_id)
        )
        .order_by(states.c.t, states.c.deal_id)
    )


def pipeline_training_rows(
    bind: Bind,
    filters: Filters,
    scope: Scope,
    dates: Sequence[date],
    *,
    horizon_days: int = 180,
) -> pd.DataFrame:
    """One row per (snapshot date, deal open then): the training rows of the win model.

    The snapshots are those of :func:`crm_data.queries.pipeline.pipeline_snapshots` (taken at
    each date's midnight ``t``; a date after ``as_of`` is taken at ``as_of``); the features
    are listed in the module docstring and use only rows dated before ``t``.  The label is
    what became of the deal in the ``horizon_days`` after ``t``, as far as known at
    ``as_of``: ``outcome`` is ``'won'`` or ``'lost'`` when it closed before
    ``min(t + horizon_days, as_of)``, else ``'open'``.  A row is ``matured`` when
    ``t + horizon_days <= as_of``: its label is final; a later row's ``'open'`` may still turn
    into a win before the horizon ends (train on matured rows only).

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    filters, scope : Filters, Scope
        ``as_of``, narrowing lists and access scope (the period is ignored).
    dates : sequence of date
        Snapshot dates (duplicates dropped); an empty sequence gives an empty frame.
    horizon_days : int
        The label's horizon H in days: "won within H days after the snapshot" (> 0).

    Returns
    -------
    DataFrame
        ``snapshot_date`` datetime64 (midnight), ``deal_id``, ``owner_id``, ``stage_id``,
        ``position`` int, ``amount`` float (account currency), ``days_in_stage``,
        ``age_days`` float (days), ``activities_14d`` int, ``product_line``, ``source`` str
        (NA when unset), ``outcome`` str (won/lost/open), ``won`` bool (``outcome == 'won'``),
        ``horizon_end`` datetime64 (``min(t + horizon_days, as_of)``: the outcome is what
        happened before it), ``matured`` bool (``horizon_end == t + horizon_days``); ordered
        by snapshot date and deal.

    Raises
    ------
    ValueError
        For ``horizon_days <= 0``.
    """
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}")
    kinds = {**_FEATURE_KINDS, **_OUTCOME_KINDS}
    moments = sorted({filters.capped(at_timestamp(d)) for d in dates})
    if not moments:
        frame = empty_frame(kinds)
    else:
        stmt = _feature_select(moments, filters, scope, horizon_days, with_outcome=True)
        frame = read_frame(bind, stmt, kinds)
    reach = frame["snapshot_date"] + pd.Timedelta(days=horizon_days)
    return frame.assign(matured=(reach <= pd.Timestamp(filters.as_of_ts)).astype("bool"))


def open_deal_features(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The deals open at ``filters``' as_of with the win model's features: the rows to score.

    The same deals as :func:`crm_data.queries.pipeline.open_pipeline_by_stage` counts, with
    the features of :func:`pipeline_training_rows` taken at ``as_of``.

    Returns
    -------
    DataFrame
        ``snapshot_date`` datetime64 (as_of's midnight), ``deal_id``, ``owner_id``,
        ``stage_id``, ``position`` int, ``amount`` float, ``days_in_stage``, ``age_days``
        float, ``activities_14d`` int, ``product_line``, ``source`` str; ordered by deal.
    """
    stmt = _feature_select([filters.as_of_ts], filters, scope, 1, with_outcome=False)
    return read_frame(bind, stmt, _FEATURE_KINDS)


def deal_cycle_times(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Days from creation to close of the deals created in the period, censored at ``as_of``.

    The input of a Kaplan–Meier estimate of the time to close (METRICS.md "Pipeline
    forecast"): the cohort is the deals created in ``[start, end)`` and before ``as_of``; a
    deal closed (won or lost) before ``as_of`` counts with ``closed_at − created_at``, one
    still open with ``as_of − created_at``, censored.  Durations are binned down to 0.1 day
    (:func:`crm_data.portable.bin_down`), as the funnel's stage durations.

    Returns
    -------
    DataFrame
        ``cycle_days`` float (lower edge of the 0.1-day bin), ``censored`` bool (still open at
        ``as_of``), ``deals`` int; ordered by cycle and censoring.
    """
    as_of = sa.literal(filters.as_of_ts, sa.DateTime)
    closed = status_at(filters.as_of_ts) != "open"
    end = sa.case((closed, DEALS.c.closed_at), else_=as_of)
    per_deal = (
        sa.select(
            bin_down(days_between(DEALS.c.created_at, end), _PER_DAY).label("bin"),
            sa.case((closed, 0), else_=1).label("censored"),
        )
        .where(*deal_conditions(DEALS, scope, filters), in_period(DEALS.c.created_at, filters))
        .subquery("cycles")
    )
    stmt = sa.select(
        (per_deal.c.bin / float(_PER_DAY)).label("cycle_days"),
        per_deal.c.censored,
        sa.func.count().label("deals"),
    ).group_by(per_deal.c.bin, per_deal.c.censored)
    kinds: dict[str, Kind] = {"cycle_days": "float", "censored": "bool", "deals": "int"}
    return sort_rows(read_frame(bind, stmt, kinds), ["cycle_days", "censored"])
