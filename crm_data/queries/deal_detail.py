"""One deal's stage history and activity timeline (the drill-through of every deal list).

The whole record as it is now, with no ``as_of``: the panel shows what became of a deal a list
picked at ``as_of``; it counts nothing.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Scope
from crm_data.queries.frames import Bind, Kind, read_frame
from crm_data.queries.tables import ACTIVITIES, DEALS, EMPLOYEES, HISTORY, STAGES
from crm_data.queries.where import deal_conditions

__all__ = ["deal_activities", "deal_history"]


def _visible(deal_id: int, scope: Scope) -> sa.Select[tuple[int]]:
    """The deal's id if ``scope`` may see it (empty otherwise)."""
    return sa.select(DEALS.c.id).where(DEALS.c.id == deal_id, *deal_conditions(DEALS, scope, None))


def deal_history(bind: Bind, scope: Scope, deal_id: int) -> pd.DataFrame:
    """The stage changes of ``deal_id`` in order (empty when ``scope`` may not see the deal).

    Returns
    -------
    DataFrame
        ``entered_at`` datetime64, ``stage`` str, ``position`` int, ``amount`` float,
        ``changed_by`` str (employee name, NA if unknown); ordered by time and row id.
    """
    stmt = (
        sa.select(
            HISTORY.c.entered_at,
            STAGES.c.name.label("stage"),
            STAGES.c.position,
            HISTORY.c.amount,
            EMPLOYEES.c.name.label("changed_by"),
        )
        .select_from(
            HISTORY.join(STAGES, STAGES.c.id == HISTORY.c.stage_id).outerjoin(
                EMPLOYEES, EMPLOYEES.c.id == HISTORY.c.changed_by
            )
        )
        .where(HISTORY.c.deal_id.in_(_visible(deal_id, scope)))
        .order_by(HISTORY.c.entered_at, HISTORY.c.id)
    )
    kinds: dict[str, Kind] = {"entered_at": "datetime", "stage": "str", "position": "int",
                              "amount": "float", "changed_by": "str"}  # fmt: skip
    return read_frame(bind, stmt, kinds)


def deal_activities(bind: Bind, scope: Scope, deal_id: int) -> pd.DataFrame:
    """The activities linked to ``deal_id`` (empty when ``scope`` may not see the deal).

    Returns
    -------
    DataFrame
        ``activity_id`` int, ``type`` str, ``status`` str, ``due_at`` datetime64,
        ``done_at`` datetime64, ``employee`` str (NA if none), ``outcome`` str,
        ``duration_min`` float; ordered by the time it was done (else due), then id.
    """
    act = ACTIVITIES.c
    when = sa.func.coalesce(act.done_at, act.due_at)
    stmt = (
        sa.select(
            act.id.label("activity_id"),
            act.type,
            act.status,
            act.due_at,
            act.done_at,
            EMPLOYEES.c.name.label("employee"),
            act.outcome,
            act.duration_min,
        )
        .select_from(ACTIVITIES.outerjoin(EMPLOYEES, EMPLOYEES.c.id == act.employee_id))
        .where(act.deal_id.in_(_visible(deal_id, scope)))
        .order_by(when, act.id)
    )
    kinds: dict[str, Kind] = {"activity_id": "int", "type": "str", "status": "str",
                              "due_at": "datetime", "done_at": "datetime", "employee": "str",
                              "outcome": "str", "duration_min": "float"}  # fmt: skip
    return read_frame(bind, stmt, kinds)
