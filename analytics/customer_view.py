"""One customer at a glance: its KPIs and its timeline, from the records of the 360 view
(``crm_data.queries.customer_record``).

Every input frame holds the customer's records before ``as_of`` only (the queries cut them),
so nothing here looks at dates beyond ordering them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["EVENTS", "CustomerKpis", "customer_kpis", "customer_timeline"]

#: The kinds of timeline events, in the order they sort when simultaneous.
EVENTS: tuple[str, ...] = ("deal_created", "stage", "deal_won", "deal_lost", "order",
                           "activity_done", "activity_planned", "ticket_opened",
                           "ticket_resolved", "campaign_sent", "campaign_response")  # fmt: skip
#: The timeline's columns and their dtypes.
_DTYPES: dict[str, Any] = {"at": "datetime64[us]", "event": "object", "subject": "string",
                           "amount": "float64", "status": "string", "ref": "Int64"}  # fmt: skip
_COLUMNS: tuple[str, ...] = tuple(_DTYPES)


@dataclass(frozen=True)
class CustomerKpis:
    """A customer's numbers at ``as_of``.

    Attributes
    ----------
    revenue : float
        Sum of the order amounts (account currency).
    orders : int
        Orders placed.
    average_order : float
        ``revenue / orders`` (NaN without orders).
    won_deals, lost_deals, open_deals : int
        Deals by status at ``as_of``.
    won_amount, open_amount : float
        Amount of the won deals and of the open ones (their amount at ``as_of``).
    win_rate : float
        ``won / (won + lost)`` (NaN before any deal closed).
    activities_done, activities_planned : int
        Done activities and those still planned.
    tickets, open_tickets, complaints : int
        Tickets opened, those unresolved at ``as_of``, and complaints among them all.
    satisfaction : float
        Mean satisfaction score (1–5) of the rated tickets (NaN without one).
    campaigns, responses : int
        Campaigns that reached the customer and its responses.
    """

    revenue: float
    orders: int
    average_order: float
    won_deals: int
    lost_deals: int
    open_deals: int
    won_amount: float
    open_amount: float
    win_rate: float
    activities_done: int
    activities_planned: int
    tickets: int
    open_tickets: int
    complaints: int
    satisfaction: float
    campaigns: int
    responses: int


def customer_kpis(
    totals: pd.Series,
    orders: pd.DataFrame,
    deals: pd.DataFrame,
    activities: pd.DataFrame,
    tickets: pd.DataFrame,
    campaigns: pd.DataFrame,
) -> CustomerKpis:
    """The customer's KPIs from its records.

    Parameters
    ----------
    totals : Series
        ``orders`` and ``revenue`` of all the customer's orders (not only the listed ones).
    orders : DataFrame
        The listed orders (not read: the totals count them all; taken so that the records
        pass as one mapping).
    deals, activities, tickets, campaigns : DataFrame
        The customer's records (``status``/``amount``; ``status``; ``category``,
        ``resolved_at``, ``satisfaction``; ``responded_at``).

    Examples
    --------
    >>> deals = pd.DataFrame({"status": ["won", "lost", "open"], "amount": [100.0, 50.0, 70.0]})
    >>> none = pd.DataFrame({"status": [], "category": [], "resolved_at": [],
    ...                      "satisfaction": [], "responded_at": []})
    >>> kpis = customer_kpis(pd.Series({"orders": 2, "revenue": 300.0}), none, deals, none,
    ...                      none, none)
    >>> kpis.win_rate, kpis.average_order, kpis.open_amount
    (0.5, 150.0, 70.0)
    """
    status = deals["status"]
    won, lost = int((status == "won").sum()), int((status == "lost").sum())
    count, revenue = int(totals["orders"]), float(totals["revenue"])
    rated = pd.to_numeric(tickets["satisfaction"], errors="coerce").dropna()
    return CustomerKpis(
        revenue=revenue,
        orders=count,
        average_order=revenue / count if count else float("nan"),
        won_deals=won,
        lost_deals=lost,
        open_deals=int((status == "open").sum()),
        won_amount=float(deals.loc[status == "won", "amount"].sum()),
        open_amount=float(deals.loc[status == "open", "amount"].sum()),
        win_rate=won / (won + lost) if won + lost else float("nan"),
        activities_done=int((activities["status"] == "done").sum()),
        activities_planned=int((activities["status"] == "planned").sum()),
        tickets=len(tickets),
        open_tickets=int(tickets["resolved_at"].isna().sum()),
        complaints=int((tickets["category"] == "complaint").sum()),
        satisfaction=float(rated.mean()) if len(rated) else float("nan"),
        campaigns=len(campaigns),
        responses=int(campaigns["responded_at"].notna().sum()),
    )


def _events(at: pd.Series, event: object, subject: pd.Series, **more: object) -> pd.DataFrame:
    """Timeline rows: one per moment of ``at`` (moments that are NaT are left out)."""
    frame = pd.DataFrame({"at": at, "event": event, "subject": subject, **more})
    return frame.loc[frame["at"].notna()]


def customer_timeline(
    orders: pd.DataFrame,
    deals: pd.DataFrame,
    activities: pd.DataFrame,
    tickets: pd.DataFrame,
    campaigns: pd.DataFrame,
) -> pd.DataFrame:
    """Everything that happened with the customer, the latest first.

    Parameters
    ----------
    orders, deals, activities, tickets, campaigns : DataFrame
        The customer's records as ``crm_data.queries.customer_record`` returns them.

    Returns
    -------
    DataFrame
        ``at`` datetime64, ``event`` (one of :data:`EVENTS`), ``subject`` str (deal title and
        stage, activity type, ticket category, campaign name, order channel), ``amount``
        float (orders and deals; NaN otherwise), ``status`` str (an activity's outcome, a
        ticket's priority, a response; NA otherwise), ``ref`` Int64 (the deal of a deal
        event or an activity; NA otherwise).  Planned activities are dated by their due
        time; simultaneous events in reverse :data:`EVENTS` order (a deal's creation
        below its first activity).
    """
    done = activities["status"] == "done"
    closed = deals["closed_at"].notna()
    won = closed & (deals["status"] == "won")
    parts = [
        _events(deals["created_at"], "deal_created", deals["title"], amount=deals["amount"],
                ref=deals["deal_id"]),
        _events(deals["stage_entered_at"].where((deals["stages"] > 1) & ~closed), "stage",
                deals["title"].astype("string") + " → " + deals["stage"].astype("string"),
                ref=deals["deal_id"]),
        _events(deals["closed_at"].where(won), "deal_won", deals["title"],
                amount=deals["amount"], ref=deals["deal_id"]),
        _events(deals["closed_at"].where(closed & ~won), "deal_lost", deals["title"],
                amount=deals["amount"], ref=deals["deal_id"]),
        _events(orders["ordered_at"], "order", orders["channel"], amount=orders["amount"]),
        _events(activities["at"].where(done), "activity_done", activities["type"],
                status=activities["outcome"], ref=activities["deal_id"]),
        _events(activities["at"].where(~done), "activity_planned", activities["type"],
                ref=activities["deal_id"]),
        _events(tickets["opened_at"], "ticket_opened", tickets["category"],
                status=tickets["priority"]),
        _events(tickets["resolved_at"], "ticket_resolved", tickets["category"],
                status=tickets["satisfaction"].astype("string")),
        _events(campaigns["sent_at"], "campaign_sent", campaigns["campaign"]),
        _events(campaigns["responded_at"], "campaign_response", campaigns["campaign"],
                status=campaigns["response"]),
    ]  # fmt: skip
    found = [part for part in parts if len(part)]
    timeline = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=_COLUMNS)
    timeline = timeline.reindex(columns=_COLUMNS)
    for column, dtype in _DTYPES.items():
        timeline[column] = timeline[column].astype(dtype)
    rank = {name: i for i, name in enumerate(EVENTS)}
    timeline["_rank"] = timeline["event"].map(rank)
    timeline = timeline.sort_values(["at", "_rank"], ascending=[False, False], kind="stable")
    return timeline[list(_COLUMNS)].reset_index(drop=True)
