"""WHERE clauses that apply a ``Scope`` and ``Filters`` to each kind of fact table.

This is the one place where access scope is enforced: every query function builds its WHERE
clause from these helpers, so a rep's scope can never be widened by a filter (filters are
AND-ed onto the scope, never OR-ed).

It is also the one place where a period applies to an event column: :func:`in_period` keeps
the events of ``[start, end)`` that happened before ``as_of`` (METRICS.md "Conventions":
nothing at or after ``as_of`` counts).  Snapshot-style queries read the state at
``Filters.as_of_ts`` (:mod:`crm_data.queries.history`); ``tests/test_as_of.py`` checks every
query function against rows planted at and after ``as_of``.

Who owns what:

* deals belong to ``deals.owner_id``;
* activities belong to the employee who does them, ``activities.employee_id``;
* accounts, and the orders and tickets of an account, belong to ``accounts.owner_id``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from access.roles import Role
from crm_data.filters import Filters, Scope
from crm_data.schema import Account, Deal, Employee, Product, Stage

__all__ = [
    "in_period",
    "owner_conditions",
    "account_conditions",
    "deal_conditions",
    "activity_conditions",
    "product_line_products",
]

Condition = ColumnElement[bool]


def in_period(column: Any, filters: Filters) -> Condition:
    """``column`` falls in the period and before ``as_of``: ``start <= column < until``.

    ``until`` is the earlier of ``end`` and ``as_of`` (:attr:`Filters.until`), so an event at
    or after ``as_of`` never counts, whatever the period.  A ``Date`` column is compared with
    dates, any other with midnight timestamps.
    """
    if isinstance(column.type, sa.Date):
        return sa.and_(column >= filters.start, column < filters.until)
    return sa.and_(column >= filters.start_ts, column < filters.until_ts)


def _team_members(team_ids: tuple[int, ...] | list[int]) -> sa.Select[Any]:
    return sa.select(Employee.id).where(Employee.team_id.in_(team_ids))


def owner_conditions(owner_col: Any, scope: Scope, filters: Filters | None) -> list[Condition]:
    """Conditions on an employee column: the scope first, then the rep and team filters."""
    conds: list[Condition] = []
    if scope.role == Role.REP:
        conds.append(owner_col == scope.employee_id)
    elif scope.role == Role.HEAD:
        conds.append(owner_col.in_(_team_members([scope.team_id])))  # type: ignore[list-item]
    if filters is not None:
        if filters.reps:
            conds.append(owner_col.in_(filters.reps))
        if filters.teams:
            conds.append(owner_col.in_(_team_members(filters.teams)))
    return conds


def _account_attribute_conditions(account_col: Any, filters: Filters | None) -> list[Condition]:
    """Region and size-band filters on a column holding account ids."""
    if filters is None or not (filters.regions or filters.segments):
        return []
    sub = sa.select(Account.id)
    if filters.regions:
        sub = sub.where(Account.region.in_(filters.regions))
    if filters.segments:
        sub = sub.where(Account.size_band.in_(filters.segments))
    return [account_col.in_(sub)]


def account_conditions(account_col: Any, scope: Scope, filters: Filters | None) -> list[Condition]:
    """Conditions on a column holding account ids (orders, tickets, accounts themselves).

    The scope and the rep/team filters apply to the account's owner; region and segment filters
    to the account's attributes.
    """
    conds: list[Condition] = []
    owner = owner_conditions(Account.owner_id, scope, filters)
    if owner:
        conds.append(account_col.in_(sa.select(Account.id).where(*owner)))
    conds += _account_attribute_conditions(account_col, filters)
    return conds


def _deal_attribute_conditions(
    product_line_col: Any, stage_col: Any, filters: Filters | None
) -> list[Condition]:
    conds: list[Condition] = []
    if filters is None:
        return conds
    if filters.product_lines:
        conds.append(product_line_col.in_(filters.product_lines))
    if filters.pipeline:
        conds.append(stage_col.in_(sa.select(Stage.id).where(Stage.pipeline == filters.pipeline)))
    return conds


def deal_conditions(deals: Any, scope: Scope, filters: Filters | None) -> list[Condition]:
    """Conditions on the ``deals`` table (or an alias of it).

    Scope and rep/team filters apply to the deal owner; region/segment to the deal's account;
    product line and pipeline to the deal.
    """
    return (
        owner_conditions(deals.c.owner_id, scope, filters)
        + _account_attribute_conditions(deals.c.account_id, filters)
        + _deal_attribute_conditions(deals.c.product_line, deals.c.stage_id, filters)
    )


def activity_conditions(activities: Any, scope: Scope, filters: Filters | None) -> list[Condition]:
    """Conditions on the ``activities`` table (or an alias of it).

    Scope and rep/team filters apply to the employee who does the activity; region/segment to
    its account.  Product-line and pipeline filters keep only activities linked to a deal of
    that line/pipeline.
    """
    conds = owner_conditions(activities.c.employee_id, scope, filters)
    conds += _account_attribute_conditions(activities.c.account_id, filters)
    deal_attrs = _deal_attribute_conditions(Deal.product_line, Deal.stage_id, filters)
    if deal_attrs:
        conds.append(activities.c.deal_id.in_(sa.select(Deal.id).where(*deal_attrs)))
    return conds


def product_line_products(filters: Filters | None) -> sa.Select[Any] | None:
    """Product ids of the filtered product lines, or None when product lines are not filtered."""
    if filters is None or not filters.product_lines:
        return None
    return sa.select(Product.id).where(Product.product_line.in_(filters.product_lines))
