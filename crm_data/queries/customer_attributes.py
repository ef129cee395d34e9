"""Customers' attributes and their orders by month (the Segments page's explorer and cohorts).

Both read the customers :func:`crm_data.queries.orders.order_facts` lets through (scope and
filters; with a product-line filter an order's amount is the sum of its items of those lines),
over their whole order history before ``as_of``: the period's start plays no part, as in
:func:`crm_data.queries.customers.customer_summary` and :func:`crm_data.queries.rfm.rfm_scores`.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import trunc_date
from crm_data.queries.customers import orders_per_account
from crm_data.queries.frames import Bind, read_frame, sort_rows
from crm_data.queries.orders import order_facts
from crm_data.queries.tables import ACCOUNTS, EMPLOYEES

__all__ = ["customer_attributes", "orders_by_customer_month"]


def customer_attributes(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """One row per customer (an account with an order before ``as_of``) with what describes it.

    Returns
    -------
    DataFrame
        ``account_id`` int, ``name`` str, ``owner_id`` Int64, ``owner`` str (the owner's name,
        missing without one), ``region``, ``industry``, ``size_band``, ``source``, ``kind``,
        ``gender`` str (missing where unknown), ``birth_year`` Int64, ``income_band`` str,
        ``orders`` int (orders before ``as_of``), ``first_order_at`` datetime64; ordered by
        account id.
    """
    per_account = orders_per_account(filters, scope)
    stmt = sa.select(
        per_account.c.account_id,
        ACCOUNTS.c.name,
        ACCOUNTS.c.owner_id,
        EMPLOYEES.c.name.label("owner"),
        ACCOUNTS.c.region,
        ACCOUNTS.c.industry,
        ACCOUNTS.c.size_band,
        ACCOUNTS.c.source,
        ACCOUNTS.c.kind,
        ACCOUNTS.c.gender,
        ACCOUNTS.c.birth_year,
        ACCOUNTS.c.income_band,
        per_account.c.orders,
        per_account.c.first_order_at,
    ).select_from(
        per_account.join(ACCOUNTS, ACCOUNTS.c.id == per_account.c.account_id).outerjoin(
            EMPLOYEES, EMPLOYEES.c.id == ACCOUNTS.c.owner_id
        )
    )
    kinds = {"account_id": "int", "name": "str", "owner_id": "Int", "owner": "str",
             "region": "str", "industry": "str", "size_band": "str", "source": "str",
             "kind": "str", "gender": "str", "birth_year": "Int", "income_band": "str",
             "orders": "int", "first_order_at": "datetime"}  # fmt: skip
    return sort_rows(read_frame(bind, stmt, kinds), ["account_id"])  # type: ignore[arg-type]


def orders_by_customer_month(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Orders before ``as_of`` per customer and calendar month (the input of cohort retention).

    Returns
    -------
    DataFrame
        ``account_id`` int, ``month`` datetime64 (first day), ``orders`` int, ``revenue``
        float; ordered by account and month.
    """
    facts = order_facts(filters, scope, until=filters.as_of_ts)
    month = trunc_date("month", facts.c.ordered_at)
    stmt = sa.select(
        facts.c.account_id,
        month.label("month"),
        sa.func.count().label("orders"),
        sa.func.sum(facts.c.amount).label("revenue"),
    ).group_by(facts.c.account_id, month)
    kinds = {"account_id": "int", "month": "datetime", "orders": "int", "revenue": "float"}
    return sort_rows(read_frame(bind, stmt, kinds), ["account_id", "month"])  # type: ignore[arg-type]
