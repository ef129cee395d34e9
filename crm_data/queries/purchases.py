"""Per-customer purchase totals by day: the input of the CLV models
(``analytics.clv.clv_summary_from_totals``), reduced in SQL.

Orders are those :func:`crm_data.queries.orders.order_facts` sees before ``as_of`` (scope and
filters as for every customer query); the whole history counts, not only the period.  Orders of
one calendar day are one purchase (BTYD convention, lifetimes #91).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import trunc_date
from crm_data.queries.frames import Bind, Kind, read_frame, sort_rows
from crm_data.queries.orders import order_facts

__all__ = ["purchase_totals"]


def purchase_totals(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Per account with an order before ``as_of``: its purchase days and their value.

    Returns
    -------
    DataFrame
        ``account_id`` int, ``first_day``, ``last_day`` datetime64 (the days of the first and
        the last order), ``days`` int (distinct order days), ``value`` float (Σ amounts),
        ``first_value`` float (Σ amounts of the first day); ordered by account.
    """
    facts = order_facts(filters, scope, until=filters.as_of_ts)
    day = trunc_date("day", facts.c.ordered_at)
    per_day = (
        sa.select(facts.c.account_id, day.label("day"), sa.func.sum(facts.c.amount).label("value"))
        .group_by(facts.c.account_id, day)
        .subquery("per_day")
    )
    first = sa.func.min(per_day.c.day).over(partition_by=per_day.c.account_id)
    ranked = sa.select(per_day, first.label("first_day")).subquery("ranked")
    r = ranked.c
    stmt = sa.select(
        r.account_id,
        sa.func.min(r.first_day).label("first_day"),
        sa.func.max(r.day).label("last_day"),
        sa.func.count().label("days"),
        sa.func.sum(r.value).label("value"),
        sa.func.sum(sa.case((r.day == r.first_day, r.value), else_=0.0)).label("first_value"),
    ).group_by(r.account_id)
    kinds: dict[str, Kind] = {"account_id": "int", "first_day": "datetime",
                              "last_day": "datetime", "days": "int", "value": "float",
                              "first_value": "float"}  # fmt: skip
    return sort_rows(read_frame(bind, stmt, kinds), ["account_id"]).reset_index(drop=True)
