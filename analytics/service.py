"""Service metrics (METRICS.md "Customers and segments", Service): tickets, satisfaction, first
response and resolution times, SLA breaches, complaints and how complaints relate to churn.

Pure functions over the reduced frames of ``crm_data.queries.service`` (per assignee:
``ticket_outcomes``, ``ticket_resolution_times``) and ``crm_data.queries.service_quality``:

* ``counts`` (``ticket_counts``): tickets opened in the period per ``category``, ``priority``
  and ``month``, with ``tickets``, ``answered``, ``resolved``, ``judged``, ``breached``;
* ``times`` (``ticket_times``): ``category``, ``priority``, ``measure`` (``"response"`` or
  ``"resolution"``), ``hours`` (0.1-hour bin), ``censored``, ``tickets``;
* ``ratings`` (``ticket_ratings``): tickets resolved in the period per ``category`` and
  ``month`` with ``resolved``, ``rated``, ``satisfaction_sum``;
* ``customers`` (``customer_complaints``): per account that is an active customer or
  complained: ``account_id``, ``name``, ``owner_id``, ``last_order_at``, ``active``,
  ``complaints``, ``last_complaint_at``.

Definitions:

* **First-response SLA** (:data:`SLA_FIRST_RESPONSE_HOURS`): a ticket must be answered (first
  response, else resolution) within its priority's target — urgent 1 h, high 4 h, medium 8 h,
  low 24 h.  It *breaches* when answered later than that, or when it is still unanswered at
  ``as_of`` past its target; tickets still within their target and unanswered are not judged
  yet.  **SLA breach share** = breached / judged.
* **First response and resolution time**: Kaplan–Meier median hours from opening, over the
  tickets opened in the period; a ticket not answered (resolved) by ``as_of`` is censored there,
  never dropped (that would make the medians too short).
* **Satisfaction**: mean score (1–5) of the tickets resolved in the period that were rated.
* **Active customer** (:data:`ACTIVE_DAYS`): an account with an order in the 365 days before
  ``as_of`` (the period end).  **Complaints per 100 active customers** = 100 × complaints
  (tickets of category :data:`COMPLAINT` opened in the period) / active customers.
* **Repeat complainer** (:data:`REPEAT_COMPLAINTS`): an account with two complaints or more in
  the period.
* **Lapsed** (:data:`LAPSE_DAYS`): an active customer whose last order is more than 90 days
  before ``as_of``.

Groupings (``by``) work as in :mod:`analytics.funnel`; rates with a zero denominator are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from analytics.grouped import (
    as_counts,
    by_columns,
    count_column,
    group_codes,
    require_columns,
    safe_rates,
    tally,
)
from analytics.survival import km_summary

__all__ = [
    "ACTIVE_DAYS",
    "COMPLAINER_COLUMNS",
    "COMPLAINT",
    "LAPSE_DAYS",
    "REPEAT_COMPLAINTS",
    "SLA_FIRST_RESPONSE_HOURS",
    "category_table",
    "complaints_and_churn",
    "complaints_per_100",
    "monthly_service",
    "repeat_complainers",
    "resolution_time",
    "satisfaction",
    "service_kpis",
    "sla_breaches",
    "sla_table",
    "waiting_times",
]

#: First-response target in hours per ticket priority (the SLA), most urgent first.
SLA_FIRST_RESPONSE_HOURS: dict[str, float] = {"urgent": 1.0, "high": 4.0, "medium": 8.0,
                                              "low": 24.0}  # fmt: skip
#: The ticket category of a complaint.
COMPLAINT = "complaint"
#: An active customer ordered in this many days before ``as_of``.
ACTIVE_DAYS = 365
#: An active customer whose last order is more than this many days before ``as_of`` has lapsed.
LAPSE_DAYS = 90
#: An account with this many complaints in the period or more is a repeat complainer.
REPEAT_COMPLAINTS = 2


def satisfaction(
    outcomes: pd.DataFrame, *, by: str | Sequence[str] | None = "assignee_id"
) -> pd.DataFrame:
    """Tickets resolved and their mean satisfaction score (1–5) per group.

    Parameters
    ----------
    outcomes : DataFrame
        ``resolved``, ``rated``, ``satisfaction_sum`` and the ``by`` columns
        (``ticket_outcomes`` per assignee, ``ticket_ratings`` per category and month).
    by : str or sequence of str, optional
        Group columns (None: one row over everything).

    Returns
    -------
    DataFrame
        ``[by…]``, ``resolved`` int, ``rated`` int, ``csat`` float (Σ scores / rated; NaN
        without a rating).

    Examples
    --------
    >>> outcomes = pd.DataFrame({"assignee_id": [1, 2], "resolved": [4, 1], "rated": [2, 0],
    ...                          "satisfaction_sum": [9.0, 0.0]})
    >>> satisfaction(outcomes, by=None).to_dict("records")
    [{'resolved': 5, 'rated': 2, 'csat': 4.5}]
    """
    by_cols = by_columns(outcomes, by, reserved=["resolved", "rated", "csat"])
    codes, keys = group_codes(outcomes, by_cols)
    n = len(keys)
    resolved = as_counts(tally(codes, count_column(outcomes, "resolved").astype(float), n))
    rated = as_counts(tally(codes, count_column(outcomes, "rated").astype(float), n))
    scores = tally(codes, outcomes["satisfaction_sum"].to_numpy(dtype="float64"), n)
    return keys.assign(resolved=resolved, rated=rated, csat=safe_rates(scores, rated))


def _median_hours(
    times: pd.DataFrame, by: str | Sequence[str] | None, ended: str, median: str
) -> pd.DataFrame:
    """Kaplan–Meier median of ``hours`` per group: ``[by…]``, ``tickets``, ``ended``,
    ``censored``, ``median`` (the columns named as given).
    """
    summary = km_summary(times, time="hours", weight="tickets", by=by, suffix="_hours")
    return summary.rename(columns={"count": "tickets", "ended": ended, "median_hours": median})


def resolution_time(
    times: pd.DataFrame, *, by: str | Sequence[str] | None = "assignee_id"
) -> pd.DataFrame:
    """Kaplan–Meier median hours from a ticket's opening to its resolution, per group; tickets
    still open at ``as_of`` are censored there (not dropped).

    Parameters
    ----------
    times : DataFrame
        ``hours`` (0.1-hour bin), ``censored``, ``tickets`` and the ``by`` columns
        (``ticket_resolution_times``).
    by : str or sequence of str, optional
        Group columns (None: one row over everything).

    Returns
    -------
    DataFrame
        ``[by…]``, ``tickets``, ``resolved``, ``censored`` int, ``median_hours`` float.

    Examples
    --------
    >>> times = pd.DataFrame({"hours": [2.0, 5.0, 9.0], "censored": [False, False, True],
    ...                       "tickets": [1, 1, 2]})
    >>> resolution_time(times, by=None)[["tickets", "resolved", "median_hours"]].to_dict("records")
    [{'tickets': 4, 'resolved': 2, 'median_hours': 5.0}]
    """
    return _median_hours(times, by, "resolved", "median_hours")


#: Columns of :func:`waiting_times` after the group columns.
_WAIT_COLUMNS = ["tickets", "answered", "resolved", "median_first_response_hours",
                 "median_resolution_hours"]  # fmt: skip


def waiting_times(times: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Kaplan–Meier median hours to the first response and to the resolution, per group.

    Parameters
    ----------
    times : DataFrame
        ``ticket_times``: ``measure``, ``hours``, ``censored``, ``tickets`` and the ``by``
        columns (``category``, ``priority``).
    by : str or sequence of str, optional
        Group columns (None: one row over everything).

    Returns
    -------
    DataFrame
        ``[by…]``, ``tickets`` int (opened), ``answered``, ``resolved`` int (before
        ``as_of``), ``median_first_response_hours``, ``median_resolution_hours`` float (NaN
        where more than half the tickets are still waiting).  No row without tickets.

    Examples
    --------
    Four tickets answered after 1, 2, 3 hours and one still waiting at 0.5 h; two resolved
    after 10 and 30 hours, the other two still open at 5 and 40 hours:

    >>> times = pd.DataFrame({
    ...     "measure": ["response"] * 4 + ["resolution"] * 4,
    ...     "hours": [0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 40.0],
    ...     "censored": [True, False, False, False, True, False, False, True],
    ...     "tickets": [1] * 8})
    >>> waiting_times(times).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'tickets': 4, 'answered': 3, 'resolved': 2, 'median_first_response_hours': 2.0,
      'median_resolution_hours': 30.0}]
    """
    require_columns(times, ["measure"], "times")
    by_cols = by_columns(times, by, reserved=["measure", *_WAIT_COLUMNS])
    measure = times["measure"]
    response = _median_hours(
        times[measure == "response"], by_cols, "answered", "median_first_response_hours"
    )
    resolution = _median_hours(
        times[measure == "resolution"], by_cols, "resolved", "median_resolution_hours"
    )
    response = response[[*by_cols, "tickets", "answered", "median_first_response_hours"]]
    resolution = resolution[[*by_cols, "resolved", "median_resolution_hours"]]
    if by_cols:
        joined = response.merge(resolution, on=by_cols, how="outer")
    else:
        joined = pd.concat([response, resolution], axis=1)
    counts = ["tickets", "answered", "resolved"]
    joined[counts] = joined[counts].fillna(0).astype("int64")
    return joined[[*by_cols, *_WAIT_COLUMNS]].reset_index(drop=True)


def sla_breaches(counts: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """First-response SLA breaches per group (see the module docstring).

    Parameters
    ----------
    counts : DataFrame
        ``ticket_counts``: ``tickets``, ``judged``, ``breached`` and the ``by`` columns.
    by : str or sequence of str, optional
        Group columns (None: one row over everything).

    Returns
    -------
    DataFrame
        ``[by…]``, ``tickets``, ``judged``, ``breached`` int, ``breach_share`` float
        (breached / judged; NaN when nothing was judged yet).

    Examples
    --------
    >>> counts = pd.DataFrame({"priority": ["high", "low", "high"], "tickets": [3, 2, 1],
    ...                        "judged": [3, 1, 1], "breached": [1, 0, 1]})
    >>> sla_breaches(counts, by="priority").to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'priority': 'high', 'tickets': 4, 'judged': 4, 'breached': 2, 'breach_share': 0.5},
     {'priority': 'low', 'tickets': 2, 'judged': 1, 'breached': 0, 'breach_share': 0.0}]
    """
    columns = ["tickets", "judged", "breached"]
    by_cols = by_columns(counts, by, reserved=[*columns, "breach_share"])
    codes, keys = group_codes(counts, by_cols)
    n = len(keys)
    sums = {c: as_counts(tally(codes, count_column(counts, c).astype(float), n)) for c in columns}
    return keys.assign(**sums, breach_share=safe_rates(sums["breached"], sums["judged"]))


def complaints_per_100(complaints: float, active_customers: float) -> float:
    """Complaints per 100 active customers (NaN without active customers).

    Examples
    --------
    >>> complaints_per_100(3, 40)
    7.5
    >>> complaints_per_100(3, 0)
    nan
    """
    if not active_customers:
        return float("nan")
    return 100.0 * float(complaints) / float(active_customers)


def _first(frame: pd.DataFrame, column: str) -> float:
    """``frame[column]`` of the first row (NaN in an empty frame)."""
    return float(frame[column].iloc[0]) if len(frame) else float("nan")


def _complaints(counts: pd.DataFrame) -> int:
    """Tickets of category :data:`COMPLAINT` in ``counts``."""
    return int(counts.loc[counts["category"] == COMPLAINT, "tickets"].sum())


def service_kpis(
    counts: pd.DataFrame, times: pd.DataFrame, ratings: pd.DataFrame, customers: pd.DataFrame
) -> dict[str, float]:
    """The service KPIs of one period (see the module docstring for the definitions).

    Returns
    -------
    dict
        ``tickets_opened``, ``first_response_hours`` (median), ``resolution_hours``
        (median), ``sla_breach_share``, ``csat``, ``complaints_per_100``, and their samples:
        ``judged``, ``rated``, ``complaints``, ``active_customers``.

    Examples
    --------
    >>> counts = pd.DataFrame({"category": ["complaint", "question"], "tickets": [2, 2],
    ...                        "judged": [2, 1], "breached": [1, 0]})
    >>> times = pd.DataFrame({"measure": ["response"] * 2 + ["resolution"] * 2,
    ...                       "hours": [1.0, 3.0, 8.0, 20.0], "censored": [False] * 4,
    ...                       "tickets": [2, 2, 2, 2]})
    >>> ratings = pd.DataFrame({"resolved": [4], "rated": [2], "satisfaction_sum": [7.0]})
    >>> customers = pd.DataFrame({"active": [True] * 8 + [False], "complaints": [0] * 9})
    >>> kpis = service_kpis(counts, times, ratings, customers)
    >>> [kpis[k] for k in ("tickets_opened", "first_response_hours", "resolution_hours",
    ...                    "sla_breach_share", "csat", "complaints_per_100")]
    [4.0, 1.0, 8.0, 0.3333333333333333, 3.5, 25.0]
    """
    waits = waiting_times(times)
    breaches = sla_breaches(counts)
    rated = satisfaction(ratings, by=None)
    complaints = _complaints(counts)
    active = int(customers["active"].sum())
    return {
        "tickets_opened": float(counts["tickets"].sum()),
        "first_response_hours": _first(waits, "median_first_response_hours"),
        "resolution_hours": _first(waits, "median_resolution_hours"),
        "sla_breach_share": _first(breaches, "breach_share"),
        "csat": _first(rated, "csat"),
        "complaints_per_100": complaints_per_100(complaints, active),
        "judged": float(breaches["judged"].sum()),
        "rated": float(rated["rated"].sum()),
        "complaints": float(complaints),
        "active_customers": float(active),
    }


def category_table(
    counts: pd.DataFrame, times: pd.DataFrame, ratings: pd.DataFrame
) -> pd.DataFrame:
    """Tickets by category: how many, how fast, how often late, how satisfied.

    Returns
    -------
    DataFrame
        One row per category opened or resolved in the period, the most tickets first:
        ``category``, ``tickets`` (opened), ``share`` (of the tickets opened),
        ``median_first_response_hours``, ``median_resolution_hours``, ``judged``,
        ``breached``, ``breach_share`` (tickets opened), ``resolved``, ``rated``, ``csat``
        (tickets resolved in the period).

    Examples
    --------
    >>> counts = pd.DataFrame({"category": ["repair", "question"], "tickets": [1, 3],
    ...                        "judged": [1, 2], "breached": [1, 0]})
    >>> times = pd.DataFrame({"category": ["repair", "repair", "question", "question"],
    ...                       "measure": ["response", "resolution"] * 2,
    ...                       "hours": [6.0, 50.0, 1.0, 4.0], "censored": [False] * 4,
    ...                       "tickets": [1, 1, 3, 3]})
    >>> ratings = pd.DataFrame({"category": ["question", "billing"], "resolved": [3, 1],
    ...                         "rated": [2, 1], "satisfaction_sum": [9.0, 2.0]})
    >>> table = category_table(counts, times, ratings)
    >>> table[["category", "tickets", "share", "breach_share", "csat"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'category': 'question', 'tickets': 3, 'share': 0.75, 'breach_share': 0.0, 'csat': 4.5},
     {'category': 'repair', 'tickets': 1, 'share': 0.25, 'breach_share': 1.0, 'csat': nan},
     {'category': 'billing', 'tickets': 0, 'share': 0.0, 'breach_share': nan, 'csat': 2.0}]
    """
    opened = sla_breaches(counts, by="category")
    waits = waiting_times(times, by="category")[
        ["category", "median_first_response_hours", "median_resolution_hours"]
    ]
    rated = satisfaction(ratings, by="category")
    table = opened.merge(waits, on="category", how="outer").merge(rated, on="category",
                                                                   how="outer")  # fmt: skip
    counted = ["tickets", "judged", "breached", "resolved", "rated"]
    table[counted] = table[counted].fillna(0).astype("int64")
    table["share"] = safe_rates(table["tickets"], table["tickets"].sum())
    table = table.sort_values(["tickets", "category"], ascending=[False, True], kind="stable")
    columns = ["category", "tickets", "share", "median_first_response_hours",
               "median_resolution_hours", "judged", "breached", "breach_share", "resolved",
               "rated", "csat"]  # fmt: skip
    return table[columns].reset_index(drop=True)


def sla_table(
    counts: pd.DataFrame,
    times: pd.DataFrame,
    sla_hours: Mapping[str, float] = SLA_FIRST_RESPONSE_HOURS,
) -> pd.DataFrame:
    """The first-response SLA per priority: target, tickets, breaches, median first response.

    Parameters
    ----------
    counts, times : DataFrame
        ``ticket_counts`` and ``ticket_times`` of the period.
    sla_hours : mapping
        Target hours per priority (the order of the rows).

    Returns
    -------
    DataFrame
        Every priority of ``sla_hours`` (tickets or not), then the other priorities found:
        ``priority``, ``target_hours`` (NaN without a target), ``tickets``, ``judged``,
        ``breached`` int, ``breach_share``, ``median_first_response_hours`` float.

    Examples
    --------
    >>> counts = pd.DataFrame({"priority": ["high", "high"], "tickets": [2, 1],
    ...                        "judged": [2, 1], "breached": [1, 1]})
    >>> times = pd.DataFrame({"priority": ["high"] * 2, "measure": ["response"] * 2,
    ...                       "hours": [3.0, 6.0], "censored": [False, False],
    ...                       "tickets": [2, 1]})
    >>> table = sla_table(counts, times, {"urgent": 1.0, "high": 4.0})
    >>> table[["priority", "target_hours", "tickets", "breach_share",
    ...        "median_first_response_hours"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'priority': 'urgent', 'target_hours': 1.0, 'tickets': 0, 'breach_share': nan,
      'median_first_response_hours': nan},
     {'priority': 'high', 'target_hours': 4.0, 'tickets': 3, 'breach_share': 0.6666666666666666,
      'median_first_response_hours': 3.0}]
    """
    breaches = sla_breaches(counts, by="priority")
    waits = waiting_times(times, by="priority")[["priority", "median_first_response_hours"]]
    found = breaches.merge(waits, on="priority", how="outer")
    others = [p for p in found["priority"].dropna().sort_values() if p not in sla_hours]
    order = pd.DataFrame({"priority": pd.Series([*sla_hours, *others], dtype="str")})
    table = order.merge(found, on="priority", how="left")
    counted = ["tickets", "judged", "breached"]
    table[counted] = table[counted].fillna(0).astype("int64")
    table.insert(1, "target_hours", table["priority"].map(dict(sla_hours)).astype("float64"))
    return table[["priority", "target_hours", *counted, "breach_share",
                  "median_first_response_hours"]]  # fmt: skip


def monthly_service(counts: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    """Tickets, SLA breaches and satisfaction month by month.

    Tickets and breaches are counted in the month the tickets were opened, satisfaction in the
    month they were resolved.  Every month from the first to the last one with data is listed
    (a month without tickets has 0 tickets and no breach share or satisfaction).

    Returns
    -------
    DataFrame
        ``month`` datetime64 (first day), ``tickets``, ``judged``, ``breached`` int,
        ``breach_share``, ``resolved``, ``rated`` int, ``csat`` float; ordered by month.

    Examples
    --------
    >>> month = pd.Timestamp
    >>> counts = pd.DataFrame({"month": [month(2024, 1, 1), month(2024, 3, 1)],
    ...                        "tickets": [4, 2], "judged": [4, 1], "breached": [1, 1]})
    >>> ratings = pd.DataFrame({"month": [month(2024, 1, 1)], "resolved": [3], "rated": [2],
    ...                         "satisfaction_sum": [7.0]})
    >>> trend = monthly_service(counts, ratings)
    >>> trend[["tickets", "breach_share", "rated", "csat"]].to_dict("list")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'tickets': [4, 0, 2], 'breach_share': [0.25, nan, 1.0], 'rated': [2, 0, 0],
     'csat': [3.5, nan, nan]}
    """
    opened = sla_breaches(counts, by="month").drop(columns="breach_share").set_index("month")
    rated = satisfaction(ratings, by="month").drop(columns="csat").set_index("month")
    months = pd.DatetimeIndex([*opened.index, *rated.index])
    if months.empty:
        return pd.DataFrame({
            "month": pd.Series(dtype="datetime64[us]"),
            **{c: pd.Series(dtype="int64") for c in ("tickets", "judged", "breached")},
            "breach_share": pd.Series(dtype="float64"),
            **{c: pd.Series(dtype="int64") for c in ("resolved", "rated")},
            "csat": pd.Series(dtype="float64"),
        })  # fmt: skip
    every = pd.date_range(months.min(), months.max(), freq="MS", name="month")
    trend = opened.reindex(every, fill_value=0).join(rated.reindex(every, fill_value=0))
    scores = ratings.groupby("month")["satisfaction_sum"].sum().reindex(every, fill_value=0.0)
    trend = trend.astype("int64").assign(
        breach_share=safe_rates(trend["breached"], trend["judged"]),
        csat=safe_rates(scores.to_numpy(dtype="float64"), trend["rated"]),
    )
    columns = ["tickets", "judged", "breached", "breach_share", "resolved", "rated", "csat"]
    return trend[columns].reset_index()


#: Columns of :func:`repeat_complainers`.
COMPLAINER_COLUMNS = ["account_id", "name", "owner_id", "complaints", "last_complaint_at",
                      "last_order_at", "active"]  # fmt: skip


def repeat_complainers(customers: pd.DataFrame, minimum: int = REPEAT_COMPLAINTS) -> pd.DataFrame:
    """Accounts with at least ``minimum`` complaints in the period, the most complaints first
    (then the latest complaint first).

    Examples
    --------
    >>> customers = pd.DataFrame({
    ...     "account_id": [1, 2, 3], "name": ["A", "B", "C"], "owner_id": [7, 7, 8],
    ...     "complaints": [2, 1, 3],
    ...     "last_complaint_at": pd.to_datetime(["2024-03-01", "2024-02-01", "2024-01-05"]),
    ...     "last_order_at": pd.to_datetime(["2024-01-01", "2024-02-02", None]),
    ...     "active": [True, True, False]})
    >>> repeat_complainers(customers)[["name", "complaints"]].to_dict("records")
    [{'name': 'C', 'complaints': 3}, {'name': 'A', 'complaints': 2}]
    """
    require_columns(customers, COMPLAINER_COLUMNS, "customers")
    found = customers[customers["complaints"] >= minimum]
    found = found.sort_values(["complaints", "last_complaint_at", "account_id"],
                              ascending=[False, False, True], kind="stable")  # fmt: skip
    return found[COMPLAINER_COLUMNS].reset_index(drop=True)


def complaints_and_churn(
    customers: pd.DataFrame,
    as_of: datetime | pd.Timestamp,
    churn_risk: pd.Series | None = None,
    lapse_days: int = LAPSE_DAYS,
) -> pd.DataFrame:
    """Active customers who complained in the period against those who did not: their share
    already lapsed and their mean modelled churn risk.

    Parameters
    ----------
    customers : DataFrame
        ``customer_complaints``: ``account_id``, ``active``, ``complaints``, ``last_order_at``.
    as_of : datetime
        The evaluation moment (the period end).
    churn_risk : Series, optional
        Churn risk (0–1) by account id (``reports.clv.CustomerValues``: 1 − P(alive) under the
        modified BG/NBD); NaN or absent for a customer the model did not value.
    lapse_days : int
        A customer whose last order is more than this many days before ``as_of`` has lapsed.

    Returns
    -------
    DataFrame
        Two rows, ``complained`` True then False: ``customers`` (active customers),
        ``lapsed`` int, ``lapse_share`` float, ``valued`` int (with a churn risk),
        ``churn_risk`` float (their mean; NaN without one).

    Examples
    --------
    >>> customers = pd.DataFrame({
    ...     "account_id": [1, 2, 3, 4, 5], "active": [True, True, True, True, False],
    ...     "complaints": [1, 2, 0, 0, 1],
    ...     "last_order_at": pd.to_datetime(["2024-01-10", "2024-03-20", "2024-03-25",
    ...                                      "2023-12-01", None])})
    >>> risk = pd.Series([0.8, 0.4, 0.1, 0.3], index=[1, 2, 3, 4])
    >>> complaints_and_churn(customers, pd.Timestamp("2024-04-01"), risk).to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'complained': True, 'customers': 2, 'lapsed': 0, 'lapse_share': 0.0, 'valued': 2,
      'churn_risk': 0.6000000000000001},
     {'complained': False, 'customers': 2, 'lapsed': 1, 'lapse_share': 0.5, 'valued': 2,
      'churn_risk': 0.2}]
    """
    require_columns(customers, ["account_id", "active", "complaints", "last_order_at"],
                    "customers")  # fmt: skip
    active = customers[customers["active"].to_numpy(dtype=bool)]
    cutoff = pd.Timestamp(as_of) - timedelta(days=lapse_days)
    lapsed = (active["last_order_at"] < cutoff).to_numpy(dtype=bool)
    complained = (active["complaints"] > 0).to_numpy(dtype=bool)
    if churn_risk is None:
        risk = np.full(len(active), np.nan)
    else:
        risk = active["account_id"].map(churn_risk).to_numpy(dtype="float64", na_value=np.nan)
    rows = []
    for flag in (True, False):
        mine = complained == flag
        valued = mine & ~np.isnan(risk)
        rows.append({
            "complained": flag,
            "customers": int(mine.sum()),
            "lapsed": int(lapsed[mine].sum()),
            "lapse_share": float(safe_rates(lapsed[mine].sum(), mine.sum())),
            "valued": int(valued.sum()),
            "churn_risk": float(risk[valued].mean()) if valued.any() else float("nan"),
        })  # fmt: skip
    return pd.DataFrame(rows)
