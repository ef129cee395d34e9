"""The Customers page's numbers: find a customer, its 360 view, and the day's list of
customers by recommended next action.

The 360 view reads the one customer's records (``crm_data.queries.customer_record``: indexed
by account, fast at any size); what places the customer among the others (RFM segment,
cluster, ABC class, CLV, P(alive), churn risk, the next action) comes from the scope-wide
reports the Segments page also uses (:func:`reports.segments.segments_report`,
:func:`reports.clv.customer_values`) and :func:`action_facts`, computed once per data version
and shared.  Scope: the queries see only the accounts the scope may see; a customer outside it
has no view (``None``), exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from analytics.customer_view import CustomerKpis, customer_kpis, customer_timeline
from analytics.next_action import action_inputs, next_actions
from crm_data.concurrent import gather
from crm_data.filters import Filters, Scope
from crm_data.queries.currency import main_currency
from crm_data.queries.customer_contacts import customer_contacts
from crm_data.queries.customer_record import (
    customer_activities,
    customer_campaigns,
    customer_deals,
    customer_order_totals,
    customer_orders,
    customer_profile,
    customer_tickets,
)
from crm_data.queries.customers import order_rhythm
from crm_data.queries.frames import Bind
from crm_data.queries.open_items import open_items
from reports.segments import SegmentsReport

__all__ = [
    "DAY_COLUMNS",
    "CustomerView",
    "action_facts",
    "customer_standing",
    "customer_view",
    "day_list",
]

#: Columns of :func:`day_list`, in the order a table shows them.
DAY_COLUMNS: tuple[str, ...] = (
    "account", "owner", "action", "priority", "segment", "abc_class", "revenue", "clv",
    "churn_risk", "days_since_contact", "days_since_purchase", "usual_gap_days", "orders",
    "open_deals", "overdue_activities", "latest_overdue_days", "open_complaints",
    "oldest_complaint_days", "days_since_first_purchase", "account_id",
)  # fmt: skip


@dataclass(frozen=True)
class CustomerView:
    """One customer's record at ``as_of``.

    Attributes
    ----------
    as_of : date
        The evaluation day (records on or after it are not shown).
    currency : str or None
        The amounts' unit (the deals' most used currency).
    profile : Series
        The account's attributes (``crm_data.queries.customer_record.customer_profile``).
    kpis : CustomerKpis
        Its numbers.
    orders, deals, activities, tickets, campaigns : DataFrame
        Its records, the latest first (each at most
        :data:`~crm_data.queries.customer_record.MAX_ROWS`).
    timeline : DataFrame
        All of them as one list of events (:func:`analytics.customer_view.customer_timeline`).
    first_order_at, last_order_at : Timestamp or NaT
        Its first and last order.
    """

    as_of: date
    currency: str | None
    profile: pd.Series
    kpis: CustomerKpis
    orders: pd.DataFrame
    deals: pd.DataFrame
    activities: pd.DataFrame
    tickets: pd.DataFrame
    campaigns: pd.DataFrame
    timeline: pd.DataFrame
    first_order_at: pd.Timestamp
    last_order_at: pd.Timestamp


def customer_view(
    bind: Bind, filters: Filters, scope: Scope, account_id: int
) -> CustomerView | None:
    """The 360 view of ``account_id`` at ``filters``' as_of, or None when ``scope`` may not see
    it (or it does not exist).

    Examples
    --------
    >>> view = customer_view(engine, filters, Scope.everyone(), 42)  # doctest: +SKIP
    >>> view.kpis.orders, view.timeline["event"].iloc[0]  # doctest: +SKIP
    (7, 'order')
    """
    profile = customer_profile(bind, scope, account_id)
    if profile.empty:
        return None
    frames = gather(
        bind,
        {
            "totals": lambda b: customer_order_totals(b, filters, scope, account_id),
            "orders": lambda b: customer_orders(b, filters, scope, account_id),
            "deals": lambda b: customer_deals(b, filters, scope, account_id),
            "activities": lambda b: customer_activities(b, filters, scope, account_id),
            "tickets": lambda b: customer_tickets(b, filters, scope, account_id),
            "campaigns": lambda b: customer_campaigns(b, filters, scope, account_id),
        },
    )
    totals = frames["totals"].iloc[0]
    records = {key: frames[key] for key in ("orders", "deals", "activities", "tickets",
                                            "campaigns")}  # fmt: skip
    currency, _mixed = main_currency(bind, scope)
    return CustomerView(
        as_of=filters.as_of or filters.end,
        currency=currency,
        profile=profile.iloc[0],
        kpis=customer_kpis(totals, **records),
        timeline=customer_timeline(**records),
        first_order_at=totals["first_order_at"],
        last_order_at=totals["last_order_at"],
        **records,
    )


def action_facts(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Every customer of the scope with the facts its next action rests on (last contact,
    buying rhythm, open complaints, overdue follow-ups), before the models' scores.

    Returns
    -------
    DataFrame
        :func:`analytics.next_action.action_inputs`.
    """
    frames = gather(
        bind,
        {
            "contacts": lambda b: customer_contacts(b, filters, scope),
            "rhythm": lambda b: order_rhythm(b, filters, scope),
            "open": lambda b: open_items(b, filters, scope),
        },
    )
    return action_inputs(frames["contacts"], frames["rhythm"], frames["open"], filters.as_of_ts)


def _scores(report: SegmentsReport, values: pd.DataFrame | None) -> pd.DataFrame:
    """Per customer: order days, RFM segment, ABC class, cluster, and the models' values."""
    scored = report.customers[["account_id", "frequency", "segment", "abc_class", "cluster"]]
    scored = scored.rename(columns={"frequency": "orders"})
    if values is None or values.empty:
        return scored.assign(churn_risk=float("nan"), clv=float("nan"), p_alive=float("nan"))
    return scored.merge(values[["account_id", "churn_risk", "clv", "p_alive"]], on="account_id",
                        how="left")  # fmt: skip


def day_list(
    facts: pd.DataFrame, report: SegmentsReport, values: pd.DataFrame | None
) -> pd.DataFrame:
    """The customers with their recommended next action, the most urgent first.

    Parameters
    ----------
    facts : DataFrame
        :func:`action_facts` of the scope.
    report : SegmentsReport
        The same scope's segments (order days, RFM segment, ABC class, cluster).
    values : DataFrame or None
        :attr:`reports.clv.CustomerValues.table` of the same scope (churn risk, CLV), or None.

    Returns
    -------
    DataFrame
        :data:`DAY_COLUMNS` plus ``cluster`` and ``p_alive``: every customer, by priority,
        then the highest CLV (revenue where there is none), then account id.
    """
    rows = facts.merge(_scores(report, values), on="account_id", how="left")
    rows = next_actions(rows.assign(orders=rows["orders"].fillna(0).astype("int64")))
    value = rows["clv"].fillna(rows["revenue"])
    rows = rows.assign(_value=value).sort_values(
        ["priority", "_value", "account_id"], ascending=[True, False, True], kind="stable"
    )
    return rows[[*DAY_COLUMNS, "cluster", "p_alive"]].reset_index(drop=True)


def customer_standing(day: pd.DataFrame, account_id: int) -> pd.Series | None:
    """The customer's row of :func:`day_list` (its action, segment, CLV, ...), or None for an
    account that is not a customer yet (no order or won deal before as_of).
    """
    rows = day.loc[day["account_id"] == account_id]
    return None if rows.empty else rows.iloc[0]
