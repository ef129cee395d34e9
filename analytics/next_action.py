"""The recommended next action for each customer, with the facts that are its reason.

One rule table, checked in order; the first rule a customer meets is its action (the lower the
priority number, the more urgent):

=========  ===================  ==========================================================
priority   action               when
=========  ===================  ==========================================================
1          ``resolve_complaint``  a complaint ticket is open at ``as_of``
2          ``overdue_followup``   a planned activity with the customer is overdue, the
                                  latest due in the last :data:`OVERDUE_WINDOW_DAYS` days
                                  (older ones are stale plans, not today's work)
3          ``save_at_risk``       churn risk ≥ :data:`AT_RISK` and an A-class customer
                                  (the top of the Pareto/ABC ranking)
4          ``call_forgotten``     METRICS.md "Forgotten client": no open deal and no order or
                                  done activity for :data:`~analytics.clients.FORGOTTEN_DAYS`
                                  days
5          ``offer_reorder``      METRICS.md "Forgotten client", per-customer variant: no open
                                  deal and no order for more than
                                  :data:`~analytics.clients.RHYTHM_FACTOR` × the customer's
                                  own median gap between orders
6          ``welcome``            first purchase less than :data:`WELCOME_DAYS` days ago and
                                  no second order yet
7          ``grow``               RFM segment Champions or Loyal: ask for a referral or offer
                                  more
=========  ===================  ==========================================================

A customer meeting none has no action (``none``, priority 99).  The function returns the
facts each reason quotes (days of silence, the usual gap, the churn risk), so a page can say
"no contact for 120 days, usual gap 30 days — call" in the user's language.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from analytics.clients import FORGOTTEN_DAYS, RHYTHM_FACTOR, first_purchase, with_last_contact
from analytics.periods import elapsed_days

__all__ = [
    "ACTIONS",
    "AT_RISK",
    "GROW_SEGMENTS",
    "INPUT_COLUMNS",
    "NO_ACTION",
    "OVERDUE_WINDOW_DAYS",
    "WELCOME_DAYS",
    "action_inputs",
    "next_actions",
]

#: Actions in priority order (priority = position + 1).
ACTIONS: tuple[str, ...] = ("resolve_complaint", "overdue_followup", "save_at_risk",
                            "call_forgotten", "offer_reorder", "welcome", "grow")  # fmt: skip
#: The action of a customer no rule picks, and its priority.
NO_ACTION = "none"
_NO_PRIORITY = 99
#: Overdue follow-ups count for the action when the latest was due this many days ago or less.
OVERDUE_WINDOW_DAYS = 30
#: Churn risk from which an A-class customer is "at risk".
AT_RISK = 0.5
#: A first purchase this recent (days) with no second order gets a welcome call.
WELCOME_DAYS = 30
#: RFM segments whose customers are asked for a referral or offered more.
GROW_SEGMENTS: tuple[str, ...] = ("Champions", "Loyal")
#: The columns :func:`next_actions` reads.
INPUT_COLUMNS: tuple[str, ...] = (
    "account_id", "orders", "days_since_purchase", "days_since_first_purchase",
    "days_since_contact", "usual_gap_days", "open_deals", "overdue_activities",
    "latest_overdue_days", "open_complaints", "churn_risk", "abc_class", "segment",
)  # fmt: skip


def next_actions(customers: pd.DataFrame) -> pd.DataFrame:
    """The recommended next action of each customer (see the module docstring).

    Parameters
    ----------
    customers : DataFrame
        One row per customer with :data:`INPUT_COLUMNS`: ``orders`` (order days before
        ``as_of``), ``days_since_purchase`` (days since the last order, else since the first
        won deal), ``days_since_first_purchase``, ``days_since_contact`` (since the later of
        the last order and the last done activity, else the first purchase),
        ``usual_gap_days`` (median days between orders; NaN with fewer than two),
        ``open_deals``, ``overdue_activities``, ``open_complaints`` (counts at ``as_of``),
        ``latest_overdue_days`` (days since the most recently due overdue activity),
        ``churn_risk`` (0–1, NaN when not modelled), ``abc_class`` and ``segment`` (NA when
        not scored).  Other columns are kept.

    Returns
    -------
    DataFrame
        ``customers`` with ``action`` (one of :data:`ACTIONS` or :data:`NO_ACTION`) and
        ``priority`` (1 = most urgent, 99 = no action), in the same row order.

    Raises
    ------
    ValueError
        When an input column is missing.

    Examples
    --------
    >>> row = dict(account_id=1, orders=4, days_since_purchase=120.0,
    ...            days_since_first_purchase=400.0, days_since_contact=120.0,
    ...            usual_gap_days=30.0, open_deals=0, overdue_activities=0,
    ...            latest_overdue_days=float("nan"), open_complaints=0,
    ...            churn_risk=0.2, abc_class="B", segment="At risk")
    >>> picked = next_actions(pd.DataFrame([row])).iloc[0]
    >>> str(picked["action"]), int(picked["priority"])
    ('call_forgotten', 4)
    """
    missing = [column for column in INPUT_COLUMNS if column not in customers.columns]
    if missing:
        raise ValueError(f"next_actions needs the columns {missing}.")
    c = customers
    no_deal = c["open_deals"].fillna(0).to_numpy() == 0
    since_purchase = c["days_since_purchase"].to_numpy(dtype=float)
    gap = c["usual_gap_days"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        rules = [
            c["open_complaints"].fillna(0).to_numpy() > 0,
            (c["overdue_activities"].fillna(0).to_numpy() > 0)
            & (c["latest_overdue_days"].to_numpy(dtype=float) <= OVERDUE_WINDOW_DAYS),
            (c["churn_risk"].to_numpy(dtype=float) >= AT_RISK)
            & (c["abc_class"].astype("object") == "A").to_numpy(),
            no_deal & (c["days_since_contact"].to_numpy(dtype=float) > FORGOTTEN_DAYS),
            no_deal & (since_purchase > RHYTHM_FACTOR * gap),
            (c["days_since_first_purchase"].to_numpy(dtype=float) < WELCOME_DAYS)
            & (c["orders"].fillna(0).to_numpy() <= 1),
            c["segment"].astype("object").isin(GROW_SEGMENTS).to_numpy(),
        ]
    action = np.select(rules, list(ACTIONS), default=NO_ACTION)
    priority = np.select(rules, list(range(1, len(ACTIONS) + 1)), default=_NO_PRIORITY)
    return customers.assign(action=action, priority=priority.astype("int64"))


def action_inputs(
    contacts: pd.DataFrame,
    rhythm: pd.DataFrame,
    open_items: pd.DataFrame,
    as_of: datetime,
) -> pd.DataFrame:
    """The customers with the facts :func:`next_actions` reads, but the models' scores
    (``orders``, ``churn_risk``, ``abc_class``, ``segment``: merged by the caller).

    Parameters
    ----------
    contacts : DataFrame
        ``crm_data.queries.customer_contacts.customer_contacts`` at ``as_of``: one row per
        customer (``account_id``, ``account``, ``owner``, ``first_order_at``,
        ``last_order_at``, ``first_won_at``, ``last_activity_at``, ``open_deals``,
        ``revenue``, ...).
    rhythm : DataFrame
        ``order_rhythm``: ``account_id``, ``median_gap_days``.
    open_items : DataFrame
        ``crm_data.queries.open_items.open_items``: ``account_id``, ``open_complaints``,
        ``oldest_complaint_days``, ``overdue_activities``, ``latest_overdue_days``.
    as_of : datetime
        The evaluation moment.

    Returns
    -------
    DataFrame
        One row per customer of ``contacts`` (in its order): its columns,
        ``usual_gap_days``, the open items (0 / NaN when none),
        ``last_contact_at``, ``days_since_contact``, ``days_since_purchase`` and
        ``days_since_first_purchase``.
    """
    as_of_ts = pd.Timestamp(as_of)
    rows = with_last_contact(contacts, as_of_ts)
    last_purchase = rows["last_order_at"].fillna(rows["first_won_at"])
    rows = rows.assign(
        days_since_purchase=elapsed_days(last_purchase, as_of_ts),
        days_since_first_purchase=elapsed_days(first_purchase(rows), as_of_ts),
    )
    gaps = rhythm[["account_id", "median_gap_days"]].rename(
        columns={"median_gap_days": "usual_gap_days"}
    )
    rows = rows.merge(gaps, on="account_id", how="left")
    rows = rows.merge(open_items, on="account_id", how="left")
    for column in ("open_complaints", "overdue_activities"):
        rows[column] = rows[column].fillna(0).astype("int64")
    return rows
