"""Demand: units and revenue of the order items by month and product, and the products' list
prices (the demand forecast by product line and price segment, issue #19).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import trunc_date
from crm_data.queries.frames import Bind, read_frame
from crm_data.queries.tables import ORDER_ITEMS, ORDERS, PRODUCTS
from crm_data.queries.where import account_conditions, in_period, product_line_products

__all__ = ["demand_by_month", "product_prices"]


def demand_by_month(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Units and revenue of the order items by calendar month and product, for the orders
    placed in ``[start, end)`` and before ``as_of``.

    Orders belong to their account's owner: the scope and the rep/team filters apply to it,
    region/segment to the account (as :func:`crm_data.queries.orders.order_facts`).  A
    product-line filter keeps the items of those lines.  The database groups the items; months
    without items are absent.

    Parameters
    ----------
    bind : Engine or Connection
        The CRM database.
    filters, scope : Filters, Scope
        The period (and as_of), the narrowing lists and the access scope.

    Returns
    -------
    DataFrame
        ``month`` datetime64 (first day), ``product_id`` int, ``units`` int (Σ quantity),
        ``revenue`` float (Σ quantity × unit price); ordered by month and product.

    Examples
    --------
    >>> demand_by_month(engine, filters, Scope.everyone())  # doctest: +SKIP
           month  product_id  units   revenue
    0 2026-01-01           1     12   14400.0
    """
    conds: list[Any] = account_conditions(ORDERS.c.account_id, scope, filters)
    conds.append(in_period(ORDERS.c.ordered_at, filters))
    products = product_line_products(filters)
    if products is not None:
        conds.append(ORDER_ITEMS.c.product_id.in_(products))
    month = trunc_date("month", ORDERS.c.ordered_at)
    stmt = (
        sa.select(
            month.label("month"),
            ORDER_ITEMS.c.product_id,
            sa.func.sum(ORDER_ITEMS.c.quantity).label("units"),
            sa.func.sum(ORDER_ITEMS.c.quantity * ORDER_ITEMS.c.unit_price).label("revenue"),
        )
        .select_from(ORDER_ITEMS.join(ORDERS, ORDERS.c.id == ORDER_ITEMS.c.order_id))
        .where(*conds)
        .group_by(month, ORDER_ITEMS.c.product_id)
        .order_by(month, ORDER_ITEMS.c.product_id)
    )
    return read_frame(
        bind, stmt, {"month": "datetime", "product_id": "int", "units": "int", "revenue": "float"}
    )


def product_prices(bind: Bind) -> pd.DataFrame:
    """Every product with its line and list price, as the catalogue holds them now.

    Parameters
    ----------
    bind : Engine or Connection
        The CRM database.

    Returns
    -------
    DataFrame
        ``product_id`` int, ``name`` str, ``product_line`` str, ``price`` float (NaN when not
        set); ordered by product id.

    Examples
    --------
    >>> product_prices(engine).columns.tolist()  # doctest: +SKIP
    ['product_id', 'name', 'product_line', 'price']
    """
    stmt = sa.select(
        PRODUCTS.c.id.label("product_id"),
        PRODUCTS.c.name,
        PRODUCTS.c.product_line,
        PRODUCTS.c.price,
    ).order_by(PRODUCTS.c.id)
    return read_frame(
        bind, stmt, {"product_id": "int", "name": "str", "product_line": "str", "price": "float"}
    )
