"""Service quality: the SQL reductions behind the Service section of the Campaigns & Service
page (METRICS.md "Customers and segments", Service; ``analytics.service`` computes on them).

Tickets follow the account scope (``crm_data.queries.where.account_conditions``: a rep sees the
tickets of the accounts they own, a head the team's).  Time convention as elsewhere: a ticket
counts when it was opened (or resolved, for ratings) in ``[start, end)`` and before ``as_of``,
and its state is read at ``as_of`` — a response or a resolution at or after ``as_of`` has not
happened yet.

A ticket is *answered* at its first response, or at its resolution when no first response was
recorded (a ticket solved straight away).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import bin_down, days_between, trunc_date
from crm_data.queries.frames import Bind, Kind, read_frame, sort_rows
from crm_data.queries.orders import order_facts
from crm_data.queries.tables import ACCOUNTS, TICKETS
from crm_data.queries.where import account_conditions, in_period

__all__ = ["customer_complaints", "ticket_counts", "ticket_ratings", "ticket_times"]

#: Waiting times are binned down to 1 / _PER_HOUR hour (Kaplan–Meier reads the bins).
_PER_HOUR = 10
#: A response this much later than its target (in hours, 3.6 ms) is late: the slack absorbs
#: the rounding of ``days_between`` (SQLite's ``julianday``), so a response exactly on target
#: is on time on every dialect.
_SLACK_HOURS = 1e-6


def _answered_at() -> Any:
    """The moment a ticket was answered: its first response, else its resolution."""
    t = TICKETS.c
    return sa.func.coalesce(t.first_response_at, t.resolved_at)


def _before(column: Any, filters: Filters) -> Any:
    """``column`` happened before ``as_of``."""
    return sa.and_(column.is_not(None), column < filters.as_of_ts)


def _opened_in_period(filters: Filters, scope: Scope) -> list[Any]:
    """Tickets of the scope's accounts opened in the period (and before ``as_of``)."""
    t = TICKETS.c
    return [*account_conditions(t.account_id, scope, filters), in_period(t.opened_at, filters)]


def ticket_counts(
    bind: Bind, filters: Filters, scope: Scope, sla_hours: Mapping[str, float]
) -> pd.DataFrame:
    """Tickets opened in the period per category, priority and month, with their state at
    ``as_of`` and their first-response SLA breaches.

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    filters, scope : Filters, Scope
        The period, the narrowing lists and the access scope.
    sla_hours : mapping of str to float
        First-response target in hours per priority
        (``analytics.service.SLA_FIRST_RESPONSE_HOURS``); a ticket of a priority not in it has
        no target and is never judged.

    Returns
    -------
    DataFrame
        ``category``, ``priority`` str, ``month`` datetime64 (first day of the month the
        tickets were opened in), ``tickets`` int, ``answered`` int (answered before as_of),
        ``resolved`` int (resolved before as_of), ``judged`` int (tickets with a target that
        were answered, or are still unanswered past their target, at as_of), ``breached`` int
        (judged tickets answered later than their target, or still unanswered past it);
        ordered by category, priority and month.
    """
    t = TICKETS.c
    as_of = sa.literal(filters.as_of_ts, sa.DateTime)
    answered_at = _answered_at()
    answered = _before(answered_at, filters)
    if sla_hours:
        whens = [(t.priority == name, sa.literal(float(hours), sa.Float))
                 for name, hours in sla_hours.items()]  # fmt: skip
        target: Any = sa.case(*whens, else_=sa.null())
    else:
        target = sa.null()
    late = target + _SLACK_HOURS
    waited_past = days_between(t.opened_at, as_of) * 24.0 > late
    breached = sa.and_(
        target.is_not(None),
        sa.or_(
            sa.and_(answered, days_between(t.opened_at, answered_at) * 24.0 > late),
            sa.and_(sa.not_(answered), waited_past),
        ),
    )
    judged = sa.and_(target.is_not(None), sa.or_(answered, waited_past))
    month = trunc_date("month", t.opened_at)
    stmt = (
        sa.select(
            t.category,
            t.priority,
            month.label("month"),
            sa.func.count().label("tickets"),
            sa.func.sum(sa.case((answered, 1), else_=0)).label("answered"),
            sa.func.sum(sa.case((_before(t.resolved_at, filters), 1), else_=0)).label("resolved"),
            sa.func.sum(sa.case((judged, 1), else_=0)).label("judged"),
            sa.func.sum(sa.case((breached, 1), else_=0)).label("breached"),
        )
        .where(*_opened_in_period(filters, scope))
        .group_by(t.category, t.priority, month)
    )
    kinds: dict[str, Kind] = {
        "category": "str", "priority": "str", "month": "datetime", "tickets": "int",
        "answered": "int", "resolved": "int", "judged": "int", "breached": "int",
    }  # fmt: skip
    return sort_rows(read_frame(bind, stmt, kinds), ["category", "priority", "month"])


def _waits(ended_at: Any, measure: str, filters: Filters, scope: Scope) -> sa.Select[Any]:
    """One row per ticket opened in the period: hours from opening to ``ended_at`` (binned),
    censored at ``as_of`` when that has not happened before it.
    """
    t = TICKETS.c
    ended = _before(ended_at, filters)
    until = sa.case((ended, ended_at), else_=sa.literal(filters.as_of_ts, sa.DateTime))
    hours = days_between(t.opened_at, until) * 24.0
    hours = sa.case((hours < 0, 0.0), else_=hours)  # a response logged before the opening
    return sa.select(
        t.category,
        t.priority,
        sa.literal_column(f"'{measure}'", sa.String).label("measure"),
        bin_down(hours, _PER_HOUR).label("bin"),
        sa.case((ended, 0), else_=1).label("censored"),
    ).where(*_opened_in_period(filters, scope))


def ticket_times(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Hours from opening to the answer and to the resolution of the tickets opened in the
    period, per category, priority and 0.1-hour bin; a ticket not answered (resolved) before
    ``as_of`` is censored there, so Kaplan–Meier medians can be taken.

    Returns
    -------
    DataFrame
        ``category``, ``priority`` str, ``measure`` str (``"response"``: opening to the
        answer; ``"resolution"``: opening to the resolution), ``hours`` float (lower edge of
        the 0.1-hour bin; a negative wait counts as 0), ``censored`` bool, ``tickets`` int;
        ordered by category, priority, measure, hours and censored.
    """
    waits = sa.union_all(
        _waits(_answered_at(), "response", filters, scope),
        _waits(TICKETS.c.resolved_at, "resolution", filters, scope),
    ).subquery("waits")
    w = waits.c
    stmt = sa.select(
        w.category,
        w.priority,
        w.measure,
        (w.bin / float(_PER_HOUR)).label("hours"),
        w.censored,
        sa.func.count().label("tickets"),
    ).group_by(w.category, w.priority, w.measure, w.bin, w.censored)
    kinds: dict[str, Kind] = {"category": "str", "priority": "str", "measure": "str",
                              "hours": "float", "censored": "bool", "tickets": "int"}  # fmt: skip
    frame = read_frame(bind, stmt, kinds)
    return sort_rows(frame, ["category", "priority", "measure", "hours", "censored"])


def ticket_ratings(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Tickets resolved in the period (and before ``as_of``) per category and month of
    resolution, with their satisfaction scores (1–5).

    Returns
    -------
    DataFrame
        ``category`` str, ``month`` datetime64 (first day of the month of resolution),
        ``resolved`` int, ``rated`` int (with a score), ``satisfaction_sum`` float (Σ of the
        scores); ordered by category and month.
    """
    t = TICKETS.c
    month = trunc_date("month", t.resolved_at)
    stmt = (
        sa.select(
            t.category,
            month.label("month"),
            sa.func.count().label("resolved"),
            sa.func.count(t.satisfaction).label("rated"),
            sa.func.coalesce(sa.func.sum(t.satisfaction), 0).label("satisfaction_sum"),
        )
        .where(*account_conditions(t.account_id, scope, filters), in_period(t.resolved_at, filters))
        .group_by(t.category, month)
    )
    kinds: dict[str, Kind] = {"category": "str", "month": "datetime", "resolved": "int",
                              "rated": "int", "satisfaction_sum": "float"}  # fmt: skip
    return sort_rows(read_frame(bind, stmt, kinds), ["category", "month"])


def customer_complaints(
    bind: Bind, filters: Filters, scope: Scope, *, category: str, active_days: int
) -> pd.DataFrame:
    """The scope's active customers and its accounts that complained in the period.

    An account is an *active customer* when it ordered in the ``active_days`` days before
    ``as_of`` (orders as :func:`crm_data.queries.orders.order_facts` sees them).  Its
    complaints are its tickets of ``category`` opened in the period (and before ``as_of``).

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    filters, scope : Filters, Scope
        The period (of the complaints), the narrowing lists and the access scope.
    category : str
        The ticket category counted (``analytics.service.COMPLAINT``).
    active_days : int
        The window of an active customer's last order (``analytics.service.ACTIVE_DAYS``).

    Returns
    -------
    DataFrame
        One row per account that is an active customer or complained: ``account_id`` int,
        ``name`` str, ``owner_id`` Int64, ``last_order_at`` datetime64 (its last order before
        as_of; missing without one), ``active`` bool, ``complaints`` int,
        ``last_complaint_at`` datetime64 (missing without a complaint); ordered by account.
    """
    a, t = ACCOUNTS.c, TICKETS.c
    as_of = filters.as_of_ts
    facts = order_facts(filters, scope, until=as_of)
    last = (
        sa.select(facts.c.account_id, sa.func.max(facts.c.ordered_at).label("last_order_at"))
        .group_by(facts.c.account_id)
        .subquery("last_orders")
    )
    complaints = (
        sa.select(
            t.account_id,
            sa.func.count().label("complaints"),
            sa.func.max(t.opened_at).label("last_complaint_at"),
        )
        .where(t.category == category, *_opened_in_period(filters, scope))
        .group_by(t.account_id)
        .subquery("complaints")
    )
    active = last.c.last_order_at >= as_of - timedelta(days=active_days)
    stmt = (
        sa.select(
            a.id.label("account_id"),
            a.name,
            a.owner_id,
            last.c.last_order_at,
            sa.case((active, 1), else_=0).label("active"),
            sa.func.coalesce(complaints.c.complaints, 0).label("complaints"),
            complaints.c.last_complaint_at,
        )
        .select_from(
            ACCOUNTS.outerjoin(last, last.c.account_id == a.id).outerjoin(
                complaints, complaints.c.account_id == a.id
            )
        )
        .where(
            *account_conditions(a.id, scope, filters),
            sa.or_(active, complaints.c.complaints.is_not(None)),
        )
    )
    kinds: dict[str, Kind] = {
        "account_id": "int", "name": "str", "owner_id": "Int", "last_order_at": "datetime",
        "active": "bool", "complaints": "int", "last_complaint_at": "datetime",
    }  # fmt: skip
    return sort_rows(read_frame(bind, stmt, kinds), ["account_id"])
