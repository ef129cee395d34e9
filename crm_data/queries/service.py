"""Service tickets per assignee: resolutions, satisfaction and resolution times (the service
metrics of the metric catalogue).

Tickets follow the account scope (``crm_data.queries.where.account_conditions``: a rep sees the
tickets of the accounts they own, a head the team's); they are counted for the employee they are
assigned to.  Time convention as elsewhere: the state at ``as_of`` uses events before it.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import bin_down, days_between
from crm_data.queries.frames import Bind, read_frame, sort_rows
from crm_data.queries.tables import TICKETS
from crm_data.queries.where import account_conditions, in_period

__all__ = ["ticket_outcomes", "ticket_resolution_times"]

#: Resolution times are binned down to 1 / _PER_HOUR hour.
_PER_HOUR = 10


def ticket_outcomes(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Tickets resolved in ``[start, end)`` (and before as_of) per assignee, with their ratings.

    Returns
    -------
    DataFrame
        ``assignee_id`` Int64 (NA for unassigned tickets), ``resolved`` int, ``rated`` int
        (resolved tickets with a satisfaction score), ``satisfaction_sum`` float (Σ of the
        scores, 1–5); ordered by assignee.
    """
    t = TICKETS.c
    stmt = (
        sa.select(
            t.assignee_id,
            sa.func.count().label("resolved"),
            sa.func.count(t.satisfaction).label("rated"),
            sa.func.coalesce(sa.func.sum(t.satisfaction), 0).label("satisfaction_sum"),
        )
        .where(
            *account_conditions(t.account_id, scope, filters),
            in_period(t.resolved_at, filters),
        )
        .group_by(t.assignee_id)
    )
    kinds = {"assignee_id": "Int", "resolved": "int", "rated": "int", "satisfaction_sum": "float"}
    return sort_rows(read_frame(bind, stmt, kinds), ["assignee_id"])  # type: ignore[arg-type]


def ticket_resolution_times(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Hours from opening to resolution of the tickets opened in ``[start, end)`` (and before
    as_of), per assignee and 0.1-hour bin; a ticket unresolved at as_of is censored there (so a
    Kaplan–Meier median can be taken).

    Returns
    -------
    DataFrame
        ``assignee_id`` Int64, ``hours`` float (lower edge of the 0.1-hour bin), ``censored``
        bool, ``tickets`` int; ordered by assignee, hours, censored.
    """
    t = TICKETS.c
    as_of = filters.as_of_ts
    resolved = sa.and_(t.resolved_at.is_not(None), t.resolved_at < as_of)
    until = sa.case((resolved, t.resolved_at), else_=sa.literal(as_of, sa.DateTime))
    per_ticket = (
        sa.select(
            t.assignee_id,
            bin_down(days_between(t.opened_at, until) * 24.0, _PER_HOUR).label("bin"),
            sa.case((resolved, 0), else_=1).label("censored"),
        )
        .where(
            *account_conditions(t.account_id, scope, filters),
            in_period(t.opened_at, filters),
        )
        .subquery("per_ticket")
    )
    stmt = sa.select(
        per_ticket.c.assignee_id,
        (per_ticket.c.bin / float(_PER_HOUR)).label("hours"),
        per_ticket.c.censored,
        sa.func.count().label("tickets"),
    ).group_by(per_ticket.c.assignee_id, per_ticket.c.bin, per_ticket.c.censored)
    kinds = {"assignee_id": "Int", "hours": "float", "censored": "bool", "tickets": "int"}
    frame = read_frame(bind, stmt, kinds)  # type: ignore[arg-type]
    return sort_rows(frame, ["assignee_id", "hours", "censored"])
