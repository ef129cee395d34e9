"""Orders: monthly revenue and the per-order facts other queries build on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import trunc_date
from crm_data.queries.frames import Bind, read_frame
from crm_data.queries.tables import ORDER_ITEMS, ORDERS
from crm_data.queries.where import account_conditions, product_line_products

__all__ = ["order_facts", "orders_by_month"]


def order_facts(
    filters: Filters,
    scope: Scope,
    since: datetime | None = None,
    until: datetime | None = None,
) -> sa.Subquery:
    """Orders visible to ``scope`` and matching ``filters``, as a derived table.

    Scope and the rep/team filters apply to the account's owner, region/segment to the
    account.  With a product-line filter only orders with an item of those lines are kept, and
    their ``amount`` is the sum of those items (``quantity × unit_price``); otherwise
    ``amount`` is ``orders.amount``.  The pipeline filter does not apply to orders.

    Parameters
    ----------
    filters, scope : Filters, Scope
        Narrowing lists and access scope (the period is not applied here).
    since, until : datetime, optional
        Keep orders with ``since <= ordered_at < until``.

    Returns
    -------
    Subquery
        Columns ``order_id, account_id, ordered_at, amount``.
    """
    conds: list[Any] = account_conditions(ORDERS.c.account_id, scope, filters)
    if since is not None:
        conds.append(ORDERS.c.ordered_at >= since)
    if until is not None:
        conds.append(ORDERS.c.ordered_at < until)
    products = product_line_products(filters)
    if products is None:
        amount: Any = ORDERS.c.amount
        source: Any = ORDERS
    else:
        items = (
            sa.select(
                ORDER_ITEMS.c.order_id,
                sa.func.sum(ORDER_ITEMS.c.quantity * ORDER_ITEMS.c.unit_price).label("amount"),
            )
            .where(ORDER_ITEMS.c.product_id.in_(products))
            .group_by(ORDER_ITEMS.c.order_id)
            .subquery("line_items")
        )
        amount = items.c.amount
        source = ORDERS.join(items, items.c.order_id == ORDERS.c.id)
    return (
        sa.select(
            ORDERS.c.id.label("order_id"),
            ORDERS.c.account_id,
            ORDERS.c.ordered_at,
            amount.label("amount"),
        )
        .select_from(source)
        .where(*conds)
        .subquery("order_facts")
    )


def orders_by_month(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Orders placed in ``[start, end)`` and before ``as_of`` by calendar month (see
    :func:`order_facts`).

    Months without orders are absent (reindex in ``analytics`` where a full series is needed).

    Returns
    -------
    DataFrame
        ``month`` datetime64 (first day), ``orders`` int, ``revenue`` float,
        ``customers`` int (distinct accounts ordering that month); ordered by month.
    """
    facts = order_facts(filters, scope, since=filters.start_ts, until=filters.until_ts)
    month = trunc_date("month", facts.c.ordered_at)
    stmt = (
        sa.select(
            month.label("month"),
            sa.func.count().label("orders"),
            sa.func.sum(facts.c.amount).label("revenue"),
            sa.func.count(sa.distinct(facts.c.account_id)).label("customers"),
        )
        .group_by(month)
        .order_by(month)
    )
    return read_frame(
        bind,
        stmt,
        {"month": "datetime", "orders": "int", "revenue": "float", "customers": "int"},
    )
