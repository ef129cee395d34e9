"""Segment profiles: customers grouped by any attribute, with what each group is worth
(METRICS.md "Customers and segments").

A profile groups one row per customer by one or more columns (industry, region, size band,
source, kind, gender, age band, income band, payment method, channel, RFM segment, cluster, ABC
class…) and reports per group how many customers it holds, their share, the revenue they bring
and its share, revenue and orders per customer, the average order and the median days since the
last order.  A customer whose attribute is missing counts in the group :data:`MISSING`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

__all__ = ["AGE_BANDS", "MISSING", "age_band", "segment_profile"]

#: The group of customers whose attribute is missing.
MISSING = "(none)"
#: Age bands: (label, lowest age in the band); the last band is open-ended.
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("<25", 0), ("25–34", 25), ("35–44", 35), ("45–54", 45), ("55–64", 55), ("65+", 65),
)  # fmt: skip


def age_band(birth_year: pd.Series, as_of: date) -> pd.Series:
    """The age band of each customer in the year of ``as_of`` (age = year − birth year);
    missing or impossible birth years (in the future, or ages over 120) are missing.

    Examples
    --------
    >>> age_band(pd.Series([2002, 1995, 1950, None, 2030]), date(2026, 6, 30)).tolist()
    ['<25', '25–34', '65+', nan, nan]
    """
    age = as_of.year - pd.to_numeric(birth_year, errors="coerce").astype("float64")
    valid = (age >= 0) & (age <= 120)
    lows = [low for _label, low in AGE_BANDS]
    position = np.searchsorted(lows, age.fillna(-1).to_numpy(), side="right") - 1
    labels = np.array([label for label, _low in AGE_BANDS], dtype=object)[position.clip(min=0)]
    return pd.Series(np.where(valid, labels, np.nan), index=birth_year.index, dtype="object")


def segment_profile(
    customers: pd.DataFrame,
    by: str | Sequence[str],
    *,
    revenue: str = "revenue",
    orders: str = "orders",
    recency: str | None = "recency_days",
) -> pd.DataFrame:
    """Customers grouped by ``by``, with what each group is worth.

    Parameters
    ----------
    customers : DataFrame
        One row per customer: the ``by`` columns, ``revenue`` (money), ``orders`` (count) and,
        if given, ``recency`` (days since the last order).
    by : str or sequence of str
        The grouping columns.
    revenue, orders, recency : str
        The columns holding each customer's revenue, orders and days since the last order
        (``recency=None``: no recency column).

    Returns
    -------
    DataFrame
        One row per group (``by`` columns, missing values as :data:`MISSING`), the largest
        revenue first: ``customers`` int, ``customer_share``, ``revenue``, ``revenue_share``,
        ``revenue_per_customer``, ``orders_per_customer``, ``average_order`` (revenue ÷ orders;
        NaN without orders) and ``median_recency_days`` (with ``recency``).

    Raises
    ------
    ValueError
        For a column that is not in ``customers``, naming it.

    Examples
    --------
    >>> customers = pd.DataFrame({"region": ["N", "N", "S", None], "revenue": [100.0, 50, 50, 0],
    ...                           "orders": [2, 1, 1, 0], "recency_days": [10, 30, 5, 400]})
    >>> profile = segment_profile(customers, "region")
    >>> profile[["region", "customers", "revenue_share", "average_order"]].values.tolist()
    [['N', 2, 0.75, 50.0], ['S', 1, 0.25, 50.0], ['(none)', 1, 0.0, nan]]
    """
    columns = [by] if isinstance(by, str) else list(by)
    needed = [*columns, revenue, orders, *([recency] if recency else [])]
    missing = [c for c in needed if c not in customers.columns]
    if missing:
        raise ValueError(f"No column {', '.join(map(repr, missing))} in the customers to profile.")
    keys = customers[columns].astype("object").where(customers[columns].notna(), MISSING)
    frame = pd.concat([keys, customers[[revenue, orders]]], axis=1)
    if recency:
        frame["recency"] = customers[recency]
    groups = frame.groupby(columns, sort=False, dropna=False)
    out = groups.agg(customers=(revenue, "size"), revenue=(revenue, "sum"),
                     orders=(orders, "sum")).reset_index()  # fmt: skip
    total_revenue, total_customers = out["revenue"].sum(), out["customers"].sum()
    out["customer_share"] = out["customers"] / total_customers if total_customers else np.nan
    out["revenue_share"] = out["revenue"] / total_revenue if total_revenue else np.nan
    out["revenue_per_customer"] = out["revenue"] / out["customers"]
    out["orders_per_customer"] = out["orders"] / out["customers"]
    out["average_order"] = (out["revenue"] / out["orders"]).where(out["orders"] > 0)
    result = [*columns, "customers", "customer_share", "revenue", "revenue_share",
              "revenue_per_customer", "orders_per_customer", "average_order"]  # fmt: skip
    if recency:
        out["median_recency_days"] = groups["recency"].median().to_numpy()
        result.append("median_recency_days")
    out = out.sort_values(["revenue", "customers"], ascending=False, kind="stable")
    return out[result].reset_index(drop=True)
