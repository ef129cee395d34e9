"""Per-customer order summary (the basis of RFM, Pareto, cohorts and forgotten clients)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import days_between, trunc_date
from crm_data.queries.frames import Bind, read_frame, sort_rows
from crm_data.queries.orders import order_facts
from crm_data.queries.tables import ACCOUNTS

__all__ = ["customer_summary", "order_rhythm", "orders_per_account"]


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


def order_rhythm(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Each customer's own buying rhythm before ``as_of``: the median gap between consecutive
    orders (METRICS.md "Forgotten client", per-customer variant).

    The gaps come from a window (``LAG`` over the account's orders); the median is taken in SQL
    with row numbers (the middle gap, or the mean of the two middle ones), so it is portable
    across the four databases.  Accounts with fewer than two orders have no rhythm and are left
    out.  Orders follow :func:`crm_data.queries.orders.order_facts` (scope and filters).

    Returns
    -------
    DataFrame
        ``account_id`` int, ``gaps`` int (orders − 1), ``median_gap_days`` float,
        ``last_order_at`` datetime64; ordered by account id.
    """
    facts = order_facts(filters, scope, until=filters.as_of_ts)
    previous = sa.func.lag(facts.c.ordered_at).over(
        partition_by=facts.c.account_id, order_by=(facts.c.ordered_at, facts.c.order_id)
    )
    gaps = sa.select(
        facts.c.account_id,
        facts.c.ordered_at,
        days_between(previous, facts.c.ordered_at).label("gap"),
    ).subquery("gaps")
    ranked = (
        sa.select(
            gaps.c.account_id,
            gaps.c.gap,
            sa.func.row_number()
            .over(partition_by=gaps.c.account_id, order_by=gaps.c.gap)
            .label("rn"),
            sa.func.count().over(partition_by=gaps.c.account_id).label("n"),
        )
        .where(gaps.c.gap.is_not(None))
        .subquery("ranked")
    )
    middle = sa.and_(2 * ranked.c.rn >= ranked.c.n, 2 * ranked.c.rn <= ranked.c.n + 2)
    medians = (
        sa.select(
            ranked.c.account_id,
            sa.func.max(ranked.c.n).label("gaps"),
            sa.func.avg(ranked.c.gap).label("median_gap_days"),
        )
        .where(middle)
        .group_by(ranked.c.account_id)
        .subquery("medians")
    )
    last = (
        sa.select(facts.c.account_id, sa.func.max(facts.c.ordered_at).label("last_order_at"))
        .group_by(facts.c.account_id)
        .subquery("last_order")
    )
    stmt = sa.select(
        medians.c.account_id, medians.c.gaps, medians.c.median_gap_days, last.c.last_order_at
    ).select_from(medians.join(last, last.c.account_id == medians.c.account_id))
    kinds = {"account_id": "int", "gaps": "int", "median_gap_days": "float",
             "last_order_at": "datetime"}  # fmt: skip
    return sort_rows(read_frame(bind, stmt, kinds), ["account_id"])  # type: ignore[arg-type]
