"""Customer segments: RFM scores and named segments, Pareto/ABC classes, cohort retention
(METRICS.md "Customers and segments"; methods.md §4.1, §4.3, §4.4).

Pure pandas/numpy: the per-customer values come from the database
(:mod:`crm_data.queries.rfm` scores them in SQL with ``CUME_DIST``); :func:`rfm_scores_pandas`
is the reference scorer the tests and notebooks compare with.

**RFM segments.**  The map is the widely used R × F grid of the RFM segmentation tutorials
(Champions, Loyal, Potential loyal, New, Promising, Need attention, At risk, Can't lose,
Hibernating; its "About to sleep" cells, R 3 with F 1–2, are folded into Hibernating and the
bottom-left corner, R 1 with F 1–2, is Lost), read over R and the **F·M score**
``fm = ceil((f + m) / 2)`` (the rounded-up mean of the F and M scores), so a customer who
buys seldom but much and one who buys often but little sit in the same column:

=====  ===============  ===============  ===============  =============  =============
R      FM 1             FM 2             FM 3             FM 4           FM 5
=====  ===============  ===============  ===============  =============  =============
5      New              Potential loyal  Potential loyal  Champions      Champions
4      Promising        Potential loyal  Potential loyal  Loyal          Loyal
3      Hibernating      Hibernating      Need attention   Loyal          Loyal
2      Hibernating      Hibernating      At risk          At risk        Can't lose
1      Lost             Lost             At risk          At risk        Can't lose
=====  ===============  ===============  ===============  =============  =============

Every one of the 25 cells has exactly one segment (:data:`RFM_SEGMENTS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "ABC_LIMITS",
    "CohortRetention",
    "ParetoSummary",
    "RFM_SEGMENTS",
    "SEGMENT_ORDER",
    "cohort_retention",
    "fm_score",
    "pareto_abc",
    "pareto_summary",
    "quintile_scores",
    "rfm_scores_pandas",
    "rfm_segment",
]

#: Segments from best to worst (the order charts and tables use).
SEGMENT_ORDER: tuple[str, ...] = (
    "Champions",
    "Loyal",
    "Potential loyal",
    "New",
    "Promising",
    "Need attention",
    "At risk",
    "Can't lose",
    "Hibernating",
    "Lost",
)

_GRID: dict[int, tuple[str, str, str, str, str]] = {  # R -> segment for FM = 1..5
    5: ("New", "Potential loyal", "Potential loyal", "Champions", "Champions"),
    4: ("Promising", "Potential loyal", "Potential loyal", "Loyal", "Loyal"),
    3: ("Hibernating", "Hibernating", "Need attention", "Loyal", "Loyal"),
    2: ("Hibernating", "Hibernating", "At risk", "At risk", "Can't lose"),
    1: ("Lost", "Lost", "At risk", "At risk", "Can't lose"),
}

#: ``(r_score, fm_score) -> segment`` for every score pair in 1..5 × 1..5 (module docstring).
RFM_SEGMENTS: dict[tuple[int, int], str] = {
    (r, fm): name for r, row in _GRID.items() for fm, name in enumerate(row, start=1)
}

#: Upper limits of the cumulative revenue share *before* a customer for classes A and B.
ABC_LIMITS: tuple[float, float] = (0.80, 0.95)

_LOOKUP = np.full((6, 6), None, dtype=object)
for (_r, _fm), _name in RFM_SEGMENTS.items():
    _LOOKUP[_r, _fm] = _name


def _scores(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size and (
        not np.issubdtype(array.dtype, np.integer) or array.min() < 1 or array.max() > 5
    ):
        raise ValueError(f"{name} scores must be integers in 1..5")
    return array.astype(np.int64)


def fm_score(f: ArrayLike, m: ArrayLike) -> np.ndarray:
    """The combined F·M score ``ceil((f + m) / 2)``, an integer 1–5.

    Examples
    --------
    >>> fm_score([1, 3, 5], [2, 4, 5]).tolist()
    [2, 4, 5]
    """
    combined: np.ndarray = (_scores(f, "F") + _scores(m, "M") + 1) // 2
    return combined


def rfm_segment(r: ArrayLike, f: ArrayLike, m: ArrayLike) -> np.ndarray:
    """Named segment of each customer from its R, F and M scores (METRICS.md "RFM").

    The segment is :data:`RFM_SEGMENTS` at ``(r, fm_score(f, m))`` (the grid of the module
    docstring).  Vectorised: scalars or arrays of equal length, integers in 1..5 (else
    ``ValueError``).

    Returns
    -------
    ndarray of str (object dtype)

    Examples
    --------
    >>> rfm_segment([5, 1, 3], [5, 1, 3], [4, 2, 3]).tolist()
    ['Champions', 'Lost', 'Need attention']
    """
    rr = _scores(r, "R")
    return np.asarray(_LOOKUP[rr, fm_score(f, m)], dtype=object)


def quintile_scores(values: pd.Series) -> pd.Series:
    """Tie-preserving quintile scores ``ceil(5 · rank(pct=True, method="max"))`` (1–5).

    ``rank(method="max") / n`` is the share of values at or below each value, SQL's
    ``CUME_DIST``; the ceiling is taken in integers, ``(5k + n − 1) // n``, so no rounding of
    ``k / n`` moves a value across a boundary.  Equal values get equal scores whatever the row
    order; missing values are not allowed.

    Examples
    --------
    >>> quintile_scores(pd.Series([0, 0, 0, 1, 7])).tolist()
    [3, 3, 3, 4, 5]
    """
    if values.isna().any():
        raise ValueError("cannot score missing values")
    n = len(values)
    at_or_below = values.rank(method="max").to_numpy(dtype=np.int64)
    return pd.Series((5 * at_or_below + n - 1) // n, index=values.index, dtype="int64")


def rfm_scores_pandas(frame: pd.DataFrame) -> pd.DataFrame:
    """The pandas reference RFM scorer (METRICS.md "RFM"; methods.md §4.1).

    Parameters
    ----------
    frame : DataFrame
        One row per customer with ``recency_days`` (days since the last order), ``frequency``
        (distinct order days, the first included) and ``revenue`` (total), as
        :func:`crm_data.queries.rfm.rfm_scores` returns them.

    Returns
    -------
    DataFrame
        ``frame`` with ``r_score``, ``f_score``, ``m_score`` (int64, 1–5) set by
        :func:`quintile_scores`: R over ``-recency_days`` (the most recent get 5), F over
        ``frequency``, M over the mean revenue per order day with the revenue rounded to the
        cent (``round(revenue, 2) / frequency``, the key the SQL query ranks on).

    Examples
    --------
    >>> f = pd.DataFrame({"recency_days": [1, 30, 300], "frequency": [4, 1, 1],
    ...                   "revenue": [400.0, 50.0, 10.0]})
    >>> rfm_scores_pandas(f)[["r_score", "f_score", "m_score"]].to_numpy().tolist()
    [[5, 5, 5], [4, 4, 4], [2, 4, 2]]
    """
    out = frame.copy()
    cents = np.floor(frame["revenue"].to_numpy(dtype=float) * 100 + 0.5)
    out["r_score"] = quintile_scores(-frame["recency_days"])
    out["f_score"] = quintile_scores(frame["frequency"])
    out["m_score"] = quintile_scores(
        pd.Series(cents / frame["frequency"].to_numpy(dtype=float), index=frame.index)
    )
    return out


# ---- Pareto / ABC --------------------------------------------------------------------------------


def pareto_abc(revenue: pd.Series) -> pd.DataFrame:
    """ABC classes of customers by revenue (METRICS.md "Pareto / ABC"; methods.md §4.3).

    Customers are ranked by revenue descending, ties by customer id (the index) ascending.
    Negative revenue (refunds above purchases) is clipped to 0 for the ranking and the shares
    and flagged in ``negative``.  A customer is class A while the cumulative share **before**
    it is < 80 % (so the customer crossing 80 % is A), B while it is < 95 %, C after.  With no
    positive revenue at all the shares are NaN and the class missing.

    Parameters
    ----------
    revenue : Series
        Revenue per customer, indexed by customer id.

    Returns
    -------
    DataFrame
        Indexed by customer in rank order: ``rank`` int (1 = largest), ``revenue`` float (as
        given), ``ranked_revenue`` float (clipped at 0), ``negative`` bool, ``share`` float,
        ``cumulative_share`` float (including the customer), ``share_before`` float,
        ``abc_class`` str ("A", "B", "C").

    Examples
    --------
    >>> abc = pareto_abc(pd.Series([15.0, 50.0, 30.0, 5.0], index=[3, 1, 2, 4]))
    >>> abc["abc_class"].tolist(), abc["share_before"].tolist()
    (['A', 'A', 'B', 'C'], [0.0, 0.5, 0.8, 0.95])
    """
    values = revenue.astype(float)
    ranked = values.clip(lower=0.0)
    order = pd.DataFrame({"id": values.index, "ranked": ranked.to_numpy()})
    order = order.sort_values(["ranked", "id"], ascending=[False, True], kind="stable")
    positions = order.index.to_numpy()
    amounts = order["ranked"].to_numpy()
    total = float(amounts.sum())
    cumulative = np.cumsum(amounts)
    if total > 0:
        cumulative_share = cumulative / total
        share_before = np.concatenate([[0.0], cumulative[:-1]]) / total
        share = amounts / total
        classes = np.where(
            share_before < ABC_LIMITS[0], "A", np.where(share_before < ABC_LIMITS[1], "B", "C")
        ).astype(object)
    else:
        cumulative_share = share_before = share = np.full(len(amounts), np.nan)
        classes = np.full(len(amounts), None, dtype=object)
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(amounts) + 1, dtype=np.int64),
            "revenue": values.to_numpy()[positions],
            "ranked_revenue": amounts,
            "negative": values.to_numpy()[positions] < 0,
            "share": share,
            "cumulative_share": cumulative_share,
            "share_before": share_before,
            "abc_class": pd.Series(classes, dtype="str").to_numpy(),
        },
        index=pd.Index(order["id"].to_numpy(), name=revenue.index.name),
    )


@dataclass(frozen=True)
class ParetoSummary:
    """The "x % of customers make 80 % of revenue" numbers and the ABC class sizes.

    ``customer_share_80`` is the share of all ranked customers in class A (the fewest top
    customers whose revenue reaches 80 %), NaN with no customer or no positive revenue;
    ``revenue`` is the clipped total the shares use; ``negative_revenue`` the sum of the
    negative revenues left out of it (≤ 0).
    """

    customers: int
    a_customers: int
    b_customers: int
    c_customers: int
    customer_share_80: float
    revenue: float
    negative_customers: int
    negative_revenue: float


def pareto_summary(abc: pd.DataFrame) -> ParetoSummary:
    """Summarise :func:`pareto_abc` (METRICS.md "Pareto / ABC").

    Examples
    --------
    >>> s = pareto_summary(pareto_abc(pd.Series([15.0, 50.0, 30.0, 5.0, -2.0])))
    >>> s.a_customers, s.customers, s.customer_share_80, s.negative_revenue
    (2, 5, 0.4, -2.0)
    """
    counts = abc["abc_class"].value_counts()
    customers = len(abc)
    a_count = int(counts.get("A", 0))
    revenue = float(abc["ranked_revenue"].sum())
    return ParetoSummary(
        customers=customers,
        a_customers=a_count,
        b_customers=int(counts.get("B", 0)),
        c_customers=int(counts.get("C", 0)),
        customer_share_80=a_count / customers if customers and revenue > 0 else float("nan"),
        revenue=revenue,
        negative_customers=int(abc["negative"].sum()),
        negative_revenue=float(abc.loc[abc["negative"], "revenue"].sum()),
    )


# ---- cohort retention ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRetention:
    """Retention matrices, cohort (first-order month) × months since (0, 1, ...).

    ``customers[c, k]``: share of the cohort's customers with an order in month c + k;
    ``revenue[c, k]``: the cohort's revenue in month c + k / its revenue in month c (None
    without a revenue column); ``sizes``: customers per cohort; ``active``: customers with an
    order per cell.  Cells after ``as_of``'s month are NaN, not 0.
    """

    customers: pd.DataFrame
    revenue: pd.DataFrame | None
    sizes: pd.Series
    active: pd.DataFrame


def cohort_retention(orders: pd.DataFrame, as_of: date) -> CohortRetention:
    """Monthly cohort retention (METRICS.md "Cohort retention"; methods.md §4.4).

    Parameters
    ----------
    orders : DataFrame
        One row per order (or per customer and month) placed before ``as_of``: ``customer``,
        ``month`` (any timestamp in the month) and optionally ``revenue``.
    as_of : date
        Months starting at or after ``as_of`` are not observed: their cells are NaN.  The
        month of ``as_of`` is observed (in part) when ``as_of`` is not its first day.

    Returns
    -------
    CohortRetention
        Rows: cohorts (month start, ascending); columns ``0 .. K`` months since, up to the
        last observed month of the first cohort.  A zero denominator (a cohort without revenue
        in its first month) gives NaN.

    Raises
    ------
    ValueError
        If an order falls in a month that starts at or after ``as_of``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer": [1, 1, 2, 3],
    ...     "month": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-20", "2024-02-03"])})
    >>> cohort_retention(orders, date(2024, 3, 1)).customers.to_numpy().tolist()
    [[1.0, 0.5], [1.0, nan]]
    """
    month = pd.to_datetime(orders["month"]).dt.to_period("M")
    last = (pd.Timestamp(as_of) - pd.Timedelta(days=1)).to_period("M")
    if (month > last).any():
        raise ValueError(f"orders in months not observed before as_of {as_of}")
    customer = orders["customer"]
    first = month.groupby(customer).transform("min")
    cohort_index = first.dt.to_timestamp()
    since = (month.dt.year - first.dt.year) * 12 + (month.dt.month - first.dt.month)
    frame = pd.DataFrame({"customer": customer, "cohort": cohort_index, "since": since})
    cohorts = pd.DatetimeIndex(sorted(cohort_index.unique()), name="cohort")
    width = 0 if cohorts.empty else _months(cohorts[0].to_period("M"), last) + 1
    columns = pd.RangeIndex(width, name="months_since")
    observed = np.array(
        [[k <= _months(c.to_period("M"), last) for k in columns] for c in cohorts], dtype=bool
    ).reshape(len(cohorts), width)
    active = (
        frame.groupby(["cohort", "since"])["customer"]
        .nunique()
        .unstack(fill_value=0)
        .reindex(index=cohorts, columns=columns, fill_value=0)
    )
    sizes = frame.groupby("cohort")["customer"].nunique().reindex(cohorts).rename("customers")
    share = active.div(sizes, axis=0).astype(float).where(observed)
    revenue = None
    if "revenue" in orders.columns:
        frame["revenue"] = orders["revenue"].astype(float)
        money = (
            frame.groupby(["cohort", "since"])["revenue"]
            .sum()
            .unstack(fill_value=0)
            .reindex(index=cohorts, columns=columns, fill_value=0)
            .astype(float)
        )
        base = money[0] if width else pd.Series(dtype=float)
        revenue = money.div(base.where(base != 0), axis=0).where(observed)
    return CohortRetention(
        customers=share, revenue=revenue, sizes=sizes, active=active.where(observed)
    )


def _months(start: pd.Period, end: pd.Period) -> int:
    return (end.year - start.year) * 12 + (end.month - start.month)
