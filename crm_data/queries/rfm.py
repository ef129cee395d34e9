"""RFM scores per customer, scored in SQL (METRICS.md "Customers and segments", "RFM").

RFM is taken **as of** ``as_of`` over the customer's whole order history before it: the period's
start (and end) play no part, as in :func:`crm_data.queries.customers.customer_summary`.  The
orders are those of :func:`crm_data.queries.orders.order_facts` (scope and filters; with a
product-line filter an order's amount is the sum of its items of those lines), aggregated by
:func:`crm_data.queries.customers.orders_per_account`.

* **R** ``recency_days``: whole days from the day of the last order to ``as_of`` (an order the
  day before ``as_of`` is 1 day old; orders on the same day tie);
* **F** ``frequency``: distinct order days (same-day orders count once, methods.md §4.1: the first
  purchase included);
* **M** ``monetary``: the **mean revenue per order day**, ``revenue / frequency`` (the total is
  ``revenue``).

Scores 1–5 are tie-preserving quintiles, ``ceil(5 · CUME_DIST())`` (= pandas
``ceil(5 · rank(pct=True, method="max"))``, :func:`analytics.segments.rfm_scores_pandas`): equal
values get equal scores whatever the row order, and bins are unequal where values tie.  R is
reversed (the most recent customers get 5): its ``CUME_DIST`` is taken over the last order day
ascending.  The population is the customers the scope and filters let through: a rep's
customers are scored among themselves.

Portability: ``CEIL`` and integer division differ between the four databases, so the score is
``1 + #{i in 1..4 : 5 · cume_dist > i}``, a sum of ``CASE`` terms; the comparison allows
:data:`SCORE_EPSILON` for the rounding of ``cume_dist = k / n`` (distinct values of ``5k/n``
are at least ``1/n`` apart).  M is ranked on the revenue rounded to the cent divided by the
order days, so two customers with the same average tie on every database although each sums
its floating-point amounts in its own order.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from crm_data.filters import Filters, Scope
from crm_data.portable import days_between, floor_, trunc_date
from crm_data.queries.customers import orders_per_account
from crm_data.queries.frames import Bind, read_frame

__all__ = ["SCORE_EPSILON", "rfm_scores"]

#: Tolerance of the quintile thresholds on ``5 · cume_dist`` (exact for up to 10⁸ customers).
SCORE_EPSILON = 1e-9


def _quintile(order_by: Any) -> ColumnElement[Any]:
    """``ceil(5 · CUME_DIST() OVER (ORDER BY order_by))`` as a portable sum of ``CASE`` terms."""
    cume = sa.func.cume_dist().over(order_by=order_by)
    steps = [sa.case((cume * 5 > step + SCORE_EPSILON, 1), else_=0) for step in (1, 2, 3, 4)]
    return 1 + steps[0] + steps[1] + steps[2] + steps[3]


def rfm_scores(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """RFM values and quintile scores of every customer with an order before ``as_of``.

    See the module docstring for the definitions (METRICS.md "RFM"); the period's start is
    irrelevant, only ``as_of`` (:attr:`Filters.as_of_ts`) cuts the history.

    Returns
    -------
    DataFrame
        ``account_id`` int, ``recency_days`` int (days from the last order day to ``as_of``),
        ``frequency`` int (distinct order days), ``monetary`` float (mean revenue per order
        day), ``revenue`` float (total), ``r_score``, ``f_score``, ``m_score`` int (1–5, R
        reversed: 5 = most recent); ordered by account id.
    """
    per_account = orders_per_account(filters, scope)
    last_day = trunc_date("day", per_account.c.last_order_at)
    cents = floor_(per_account.c.revenue * 100 + 0.5)  # revenue rounded to the cent
    stmt = sa.select(
        per_account.c.account_id,
        floor_(days_between(last_day, filters.as_of_ts) + 0.5).label("recency_days"),
        per_account.c.order_days.label("frequency"),
        (per_account.c.revenue / per_account.c.order_days).label("monetary"),
        per_account.c.revenue,
        _quintile(last_day).label("r_score"),
        _quintile(per_account.c.order_days).label("f_score"),
        _quintile(cents * 1.0 / per_account.c.order_days).label("m_score"),
    ).order_by(per_account.c.account_id)
    return read_frame(
        bind,
        stmt,
        {
            "account_id": "int",
            "recency_days": "int",
            "frequency": "int",
            "monetary": "float",
            "revenue": "float",
            "r_score": "int",
            "f_score": "int",
            "m_score": "int",
        },
    )
