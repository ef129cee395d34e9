"""New and forgotten clients, METRICS.md "New clients" and "Forgotten client".

The input is the customer frame of ``crm_data.queries.customer_contacts.customer_contacts``:
one row per account with at least one order or won deal before ``as_of``: ``account_id`` int,
``account`` str, ``owner_id`` Int64, ``owner`` str, ``region`` str, ``first_order_at``,
``last_order_at``, ``first_won_at``, ``last_activity_at`` datetime64 (NaT when none),
``open_deals`` int (deals open at ``as_of``) and ``revenue`` float (lifetime order revenue
before ``as_of``).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from analytics.periods import elapsed_days

__all__ = [
    "RHYTHM_FACTOR",
    "overdue_by_rhythm",
    "FORGOTTEN_DAYS",
    "first_purchase",
    "forgotten_clients",
    "new_clients",
    "with_last_contact",
]

#: METRICS.md "Forgotten client": the default silence window, in days.
FORGOTTEN_DAYS = 90


def first_purchase(customers: pd.DataFrame) -> pd.Series:
    """When each account became a customer: its first order, else its first won deal.

    Returns
    -------
    Series
        datetime64 named ``first_purchase_at``: ``first_order_at``, or ``first_won_at`` for an
        account without orders (NaT when it has neither).
    """
    moments = customers["first_order_at"].fillna(customers["first_won_at"])
    return moments.rename("first_purchase_at")


def with_last_contact(customers: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """``customers`` with the moment and age of their last contact.

    The last contact is the later of the last order and the last done activity; a customer
    with neither counts from its first purchase (:func:`first_purchase`).

    Returns
    -------
    DataFrame
        ``customers`` plus ``last_contact_at`` datetime64 (NaT without order or activity) and
        ``days_since_contact`` float (days from the last contact, else the first purchase, to
        ``as_of``).
    """
    last_contact = customers[["last_order_at", "last_activity_at"]].max(axis=1)
    reference = last_contact.fillna(first_purchase(customers))
    return customers.assign(
        last_contact_at=last_contact, days_since_contact=elapsed_days(reference, as_of)
    )


def new_clients(customers: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """METRICS.md "New clients": accounts whose first purchase falls in ``[start, end)``.

    The first purchase is the first order, or the first won deal for an account without orders
    (:func:`first_purchase`).

    Returns
    -------
    DataFrame
        The matching rows of ``customers`` (input order) plus ``first_purchase_at`` datetime64.
    """
    with_first = customers.assign(first_purchase_at=first_purchase(customers))
    moments = with_first["first_purchase_at"]
    inside = (moments >= pd.Timestamp(start)) & (moments < pd.Timestamp(end))
    return with_first.loc[inside].reset_index(drop=True)


def forgotten_clients(
    customers: pd.DataFrame, as_of: datetime, days: int = FORGOTTEN_DAYS
) -> pd.DataFrame:
    """METRICS.md "Forgotten client": customers nobody has been in touch with for ``days`` days.

    A customer (first purchase before ``as_of``) is forgotten when it has no open deal and its
    last contact is before ``as_of - days``; a contact exactly ``days`` days before ``as_of``
    still counts.  The last contact is the later of its last order and its last done activity;
    a customer with neither counts from its first purchase (its first won deal), so a client won
    yesterday without any recorded contact is not yet forgotten.

    Parameters
    ----------
    customers : DataFrame
        The customer frame (see the module docstring).
    as_of : datetime
        The evaluation moment.
    days : int
        The silence window in days.

    Returns
    -------
    DataFrame
        The forgotten customers plus ``last_contact_at`` datetime64 (later of ``last_order_at``
        and ``last_activity_at``; NaT when neither) and ``days_since_contact`` float (days from
        the last contact, or from the first purchase when there was none, to ``as_of``);
        by revenue descending (ties by ``account_id``).
    """
    as_of_ts = pd.Timestamp(as_of)
    customers = customers.loc[first_purchase(customers) < as_of_ts]
    rows = with_last_contact(customers, as_of_ts)
    forgotten = (rows["open_deals"] == 0) & (rows["days_since_contact"] > days)
    return rows.loc[forgotten].sort_values(
        ["revenue", "account_id"], ascending=[False, True], ignore_index=True
    )


#: A customer is overdue for a re-order after this many of their own median order gaps.
RHYTHM_FACTOR = 2.0


def overdue_by_rhythm(
    customers: pd.DataFrame, rhythm: pd.DataFrame, as_of: datetime, factor: float = RHYTHM_FACTOR
) -> pd.DataFrame:
    """METRICS.md "Forgotten client", per-customer variant: no order for more than ``factor`` ×
    the customer's own median gap between orders, and no open deal.

    Parameters
    ----------
    customers : DataFrame
        ``customer_contacts`` at ``as_of`` (``account_id``, ``open_deals``, ``revenue``, ...).
    rhythm : DataFrame
        ``order_rhythm`` at ``as_of``: ``account_id``, ``median_gap_days``, ``last_order_at``
        (customers with fewer than two orders have no rhythm and are never overdue here).
    as_of : datetime
        The evaluation moment.
    factor : float
        How many median gaps of silence make a customer overdue.

    Returns
    -------
    DataFrame
        The overdue customers with ``median_gap_days``, ``days_since_order`` and ``overdue_by``
        (``days_since_order / median_gap_days``); the most overdue revenue first.

    Examples
    --------
    >>> customers = pd.DataFrame({"account_id": [1, 2], "open_deals": [0, 0],
    ...                           "revenue": [100.0, 50.0]})
    >>> rhythm = pd.DataFrame({"account_id": [1, 2], "median_gap_days": [10.0, 40.0],
    ...     "last_order_at": pd.to_datetime(["2024-01-01", "2024-01-01"])})
    >>> overdue_by_rhythm(customers, rhythm, datetime(2024, 2, 1))["account_id"].tolist()
    [1]
    """
    rows = customers.drop(columns=["last_order_at"], errors="ignore").merge(
        rhythm[["account_id", "median_gap_days", "last_order_at"]], on="account_id"
    )
    since = elapsed_days(rows["last_order_at"], as_of)
    rows = rows.assign(days_since_order=since, overdue_by=since / rows["median_gap_days"])
    overdue = (rows["open_deals"] == 0) & (since > factor * rows["median_gap_days"])
    return rows.loc[overdue].sort_values(
        ["revenue", "account_id"], ascending=[False, True], ignore_index=True
    )
