"""Per-customer order summary (the basis of RFM, Pareto, cohorts and forgotten clients)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import trunc_date
from crm_data.queries.frames import Bind, read_frame
from crm_data.queries.orders import order_facts
from crm_data.queries.tables import ACCOUNTS

__all__ = ["customer_summary", "orders_per_account"]


def orders_per_account(filters: Filters, scope: Scope) -> sa.Subquery:
    """Per account, its orders placed before ``as_of`` (as :func:`.orders.order_facts` sees them).

    Returns
    -------
    Subquery
        Columns ``account_id, first_order_at, last_order_at, orders, order_days`` (distinct
        order dates: same-day orders count once) and ``revenue`` (sum of the amounts).
    """
    facts = order_facts(filters, scope, until=filters.as_of_ts)
    return (
        sa.select(
            facts.c.account_id,
            sa.func.min(facts.c.ordered_at).label("first_order_at"),
            sa.func.max(facts.c.ordered_at).label("last_order_at"),
            sa.func.count().label("orders"),
            sa.func.count(sa.distinct(trunc_date("day", facts.c.ordered_at))).label("order_days"),
            sa.func.sum(facts.c.amount).label("revenue"),
        )
        .group_by(facts.c.account_id)
        .subquery("orders_per_account")
    )


def customer_summary(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """One row per account with at least one order placed before ``as_of``.

    The whole order history up to ``as_of`` counts: the period ``[start, end)`` does **not**
    truncate it (RFM recency/frequency and "first order" need the full history).  Scope and
    the rep/team/region/segment/product-line filters apply as in
    :func:`crm_data.queries.orders.order_facts`.

    Returns
    -------
    DataFrame
        ``account_id`` int, ``owner_id`` Int64, ``region`` str, ``segment`` str (size band),
        ``first_order_at`` datetime64, ``last_order_at`` datetime64, ``orders`` int,
        ``order_days`` int (distinct order dates: same-day orders count once),
        ``revenue`` float; ordered by account id.
    """
    per_account = orders_per_account(filters, scope)
    stmt = (
        sa.select(
            per_account.c.account_id,
            ACCOUNTS.c.owner_id,
            ACCOUNTS.c.region,
            ACCOUNTS.c.size_band.label("segment"),
            per_account.c.first_order_at,
            per_account.c.last_order_at,
            per_account.c.orders,
            per_account.c.order_days,
            per_account.c.revenue,
        )
        .select_from(per_account.join(ACCOUNTS, ACCOUNTS.c.id == per_account.c.account_id))
        .order_by(per_account.c.account_id)
    )
    return read_frame(
        bind,
        stmt,
        {
            "account_id": "int",
            "owner_id": "Int",
            "region": "str",
            "segment": "str",
            "first_order_at": "datetime",
            "last_order_at": "datetime",
            "orders": "int",
            "order_days": "int",
            "revenue": "float",
        },
    )
