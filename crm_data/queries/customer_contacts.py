"""Customers and their last contacts at one or several moments (METRICS.md "Forgotten client",
"Reactivated client", "New client"): first and last order, first won deal, last done activity,
open deals and revenue per account (the ``contacts`` table of people is not read).

A snapshot at ``t`` aggregates the whole history before ``t``.  Several snapshots (a period's
start and end, and its comparison period's) are read as consecutive windows
``[t_{k-1}, t_k)`` and accumulated, so each order and activity is aggregated once: at L the
three snapshots of the Activity page read 10 M activities instead of 20 M.

Time convention as in :mod:`crm_data.queries.history`: the state "at t" is made of the events
strictly before ``t``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.queries.frames import Bind, Kind, coerce_frame, read_frame, sort_rows
from crm_data.queries.history import is_open_at
from crm_data.queries.orders import order_facts
from crm_data.queries.tables import ACCOUNTS, ACTIVITIES, DEALS, EMPLOYEES
from crm_data.queries.where import account_conditions, deal_conditions

__all__ = ["CONTACT_KINDS", "customer_contacts", "customer_contacts_at"]

#: Columns and kinds of a customer snapshot.
CONTACT_KINDS: dict[str, Kind] = {
    "account_id": "int",
    "account": "str",
    "owner_id": "Int",
    "owner": "str",
    "region": "str",
    "first_order_at": "datetime",
    "last_order_at": "datetime",
    "first_won_at": "datetime",
    "last_activity_at": "datetime",
    "open_deals": "int",
    "revenue": "float",
}
_NAMES = ["account", "owner", "region"]
#: Columns of one window's per-account state (:func:`_window`).
_WINDOW_COLUMNS = ("account_id owner_id first_order_at last_order_at revenue first_won_at "
                   "last_activity_at open_deals")  # fmt: skip
_WINDOW_KINDS: dict[str, Kind] = {name: CONTACT_KINDS[name] for name in _WINDOW_COLUMNS.split()}


def customer_contacts(
    bind: Bind, filters: Filters, scope: Scope, *, names: bool = True
) -> pd.DataFrame:
    """Customers at ``as_of`` with their last contacts, the basis of "Forgotten client".

    A customer (METRICS.md **Forgotten client**) is an account with at least one order before
    ``as_of`` (:func:`crm_data.queries.orders.order_facts`: account scope, region/segment and
    product-line filters) or at least one deal won before ``as_of`` (deal scope and filters).
    The account itself must be visible through
    :func:`crm_data.queries.where.account_conditions` (its owner).  The period does not
    truncate history.

    ``last_activity_at`` and ``open_deals`` describe the account as a whole: the latest done
    activity (``done_at < as_of``) by anyone, and the number of its deals open at ``as_of``,
    whoever owns them.

    ``names=False`` leaves ``account``, ``owner`` and ``region`` NA (a snapshot that is only
    counted needs no strings).

    Returns
    -------
    DataFrame
        ``account_id`` int, ``account`` str, ``owner_id`` Int64, ``owner`` str (NA if none),
        ``region`` str, ``first_order_at`` / ``last_order_at`` datetime64 (NaT without
        orders), ``first_won_at`` datetime64 (NaT if none), ``last_activity_at`` datetime64
        (NaT if none), ``open_deals`` int, ``revenue`` float (sum of the order amounts before
        ``as_of``, 0 when none; account currency); ordered by account id.
    """
    moment = filters.as_of or filters.end
    named = moment if names else None
    return customer_contacts_at(bind, filters, scope, [moment], named=named)[moment]


def customer_contacts_at(
    bind: Bind,
    filters: Filters,
    scope: Scope,
    moments: Sequence[date],
    *,
    named: date | None = None,
) -> dict[date, pd.DataFrame]:
    """:func:`customer_contacts` at each of ``moments``; a moment after ``filters``' as_of is
    taken at as_of (nothing later is known, :meth:`~crm_data.filters.Filters.capped`).

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the queries.
    filters, scope : Filters, Scope
        Narrowing lists and access scope (the period does not truncate history).
    moments : sequence of date
        The snapshot moments (midnight); duplicates are read once.
    named : date, optional
        The one moment whose snapshot carries account, owner and region names; the others
        have them NA.

    Returns
    -------
    dict
        ``{moment: snapshot}`` for every distinct moment, each as :func:`customer_contacts`.
    """
    taken_at = {moment: filters.capped(moment) for moment in moments}
    ordered = sorted(set(taken_at.values()))
    bounds = [datetime.combine(moment, datetime.min.time()) for moment in ordered]
    calls: dict[object, Callable[[Bind], pd.DataFrame]] = {
        moment: _window_call(filters, scope, since, until)
        for moment, since, until in zip(ordered, [None, *bounds], bounds, strict=False)
    }
    named = None if named is None else filters.capped(named)
    if named in ordered:
        calls["names"] = lambda b: _names(b, filters, scope)
    read = {key: call(bind) for key, call in calls.items()}  # then accumulated in order
    snapshots: dict[date, pd.DataFrame] = {}
    history: pd.DataFrame | None = None
    for moment in ordered:
        window = read[moment]
        history = window if history is None else _accumulate(history, window)
        snapshots[moment] = _customers(history)
    if named in snapshots:
        snapshots[named] = _with_names(snapshots[named], read["names"])
    return {moment: snapshots[taken_at[moment]] for moment in dict.fromkeys(moments)}


def _window_call(
    filters: Filters, scope: Scope, since: datetime | None, until: datetime
) -> Callable[[Bind], pd.DataFrame]:
    """Reads :func:`_window`."""
    stmt = _window(filters, scope, since, until)
    return lambda bind: read_frame(bind, stmt, _WINDOW_KINDS)


def _window(
    filters: Filters, scope: Scope, since: datetime | None, until: datetime
) -> sa.Select[tuple[object, ...]]:
    """Per visible account: its orders, won deals and done activities in ``[since, until)``
    and its deals open at ``until``; accounts with none of these are left out.
    """
    facts = order_facts(filters, scope, since=since, until=until)
    orders = (
        sa.select(
            facts.c.account_id,
            sa.func.min(facts.c.ordered_at).label("first_order_at"),
            sa.func.max(facts.c.ordered_at).label("last_order_at"),
            sa.func.sum(facts.c.amount).label("revenue"),
        )
        .group_by(facts.c.account_id)
        .subquery("orders_in_window")
    )
    won_conditions = [*deal_conditions(DEALS, scope, filters), DEALS.c.status == "won"]
    act = ACTIVITIES.c
    touched_conditions = [act.status == "done", act.account_id.is_not(None)]
    if since is not None:
        won_conditions.append(DEALS.c.closed_at >= since)
        touched_conditions.append(act.done_at >= since)
    won = (
        sa.select(DEALS.c.account_id, sa.func.min(DEALS.c.closed_at).label("first_won_at"))
        .where(*won_conditions, DEALS.c.closed_at < until)
        .group_by(DEALS.c.account_id)
        .subquery("won_in_window")
    )
    touched = (
        sa.select(act.account_id, sa.func.max(act.done_at).label("last_activity_at"))
        .where(*touched_conditions, act.done_at < until)
        .group_by(act.account_id)
        .subquery("activity_in_window")
    )
    open_deals = (
        sa.select(DEALS.c.account_id, sa.func.count().label("open_deals"))
        .where(is_open_at(until))
        .group_by(DEALS.c.account_id)
        .subquery("open_at_end")
    )
    parts = (orders, won, touched, open_deals)
    return (
        sa.select(
            ACCOUNTS.c.id.label("account_id"),
            ACCOUNTS.c.owner_id,
            orders.c.first_order_at,
            orders.c.last_order_at,
            orders.c.revenue,
            won.c.first_won_at,
            touched.c.last_activity_at,
            sa.func.coalesce(open_deals.c.open_deals, 0).label("open_deals"),
        )
        .select_from(_outer_joins(parts))
        .where(
            *account_conditions(ACCOUNTS.c.id, scope, filters),
            sa.or_(*(part.c.account_id.is_not(None) for part in parts)),
        )
    )


def _outer_joins(parts: Sequence[sa.Subquery]) -> sa.FromClause:
    """``accounts`` left-joined to each per-account subquery of ``parts``."""
    joined: sa.FromClause = ACCOUNTS
    for part in parts:
        joined = joined.outerjoin(part, part.c.account_id == ACCOUNTS.c.id)
    return joined


def _accumulate(history: pd.DataFrame, window: pd.DataFrame) -> pd.DataFrame:
    """The per-account state after ``window``: first dates kept, last dates and revenue moved
    on, open deals as of the window's end (0 for accounts absent from it).
    """
    both = history.merge(window, on="account_id", how="outer", suffixes=("", "_new"))

    def combine(column: str, pick: np.ufunc) -> np.ndarray:
        old = both[column].to_numpy("datetime64[us]")
        new = both[f"{column}_new"].to_numpy("datetime64[us]")
        return pick(old, new)  # fmin/fmax ignore NaT

    return pd.DataFrame(
        {
            "account_id": both["account_id"],
            "owner_id": both["owner_id_new"].fillna(both["owner_id"]),
            "first_order_at": combine("first_order_at", np.fmin),
            "last_order_at": combine("last_order_at", np.fmax),
            "revenue": both["revenue"].fillna(0.0) + both["revenue_new"].fillna(0.0),
            "first_won_at": combine("first_won_at", np.fmin),
            "last_activity_at": combine("last_activity_at", np.fmax),
            "open_deals": both["open_deals_new"].fillna(0).astype("int64"),
        }
    )


def _customers(history: pd.DataFrame) -> pd.DataFrame:
    """The customers of a per-account state, as :data:`CONTACT_KINDS` (names NA)."""
    customers = history.loc[history["first_order_at"].notna() | history["first_won_at"].notna()]
    frame = customers.assign(
        account=None, owner=None, region=None, revenue=customers["revenue"].fillna(0.0)
    ).reset_index(drop=True)  # coerce_frame keeps a RangeIndex
    return sort_rows(coerce_frame(frame, CONTACT_KINDS), ["account_id"])


def _names(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The visible accounts' names and regions and their owners' names, by account id."""
    stmt = (
        sa.select(
            ACCOUNTS.c.id.label("account_id"),
            ACCOUNTS.c.name.label("account"),
            EMPLOYEES.c.name.label("owner"),
            ACCOUNTS.c.region,
        )
        .select_from(ACCOUNTS.outerjoin(EMPLOYEES, EMPLOYEES.c.id == ACCOUNTS.c.owner_id))
        .where(*account_conditions(ACCOUNTS.c.id, scope, filters))
    )
    kinds: dict[str, Kind] = {
        "account_id": "int",
        "account": "str",
        "owner": "str",
        "region": "str",
    }
    return read_frame(bind, stmt, kinds).set_index("account_id")


def _with_names(customers: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """``customers`` with the names of :func:`_names`."""
    ids = customers["account_id"]
    named = customers.assign(**{name: ids.map(names[name]) for name in _NAMES})
    return coerce_frame(named.reset_index(drop=True), CONTACT_KINDS)
