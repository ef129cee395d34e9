"""Deal KPIs of a period from the monthly deal-flow frame (won revenue, win rate, new deals).

The input is the frame of ``crm_data.queries.deal_flow.deal_flow_by_month``: one row per
calendar month with any event, already restricted to the period, with the columns ``month``
datetime64 (first day), ``created`` int, ``created_amount`` float, ``won`` int, ``won_amount``
float, ``lost`` int, ``lost_amount`` float (created = deals created that month; won/lost =
deals closed that month).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.funnel import win_rates

__all__ = ["DealKpis", "deal_kpis"]


@dataclass(frozen=True)
class DealKpis:
    """Deal KPIs of one period; money in the account currency.

    Attributes
    ----------
    won_revenue : float
        Σ amount of the deals won in the period.
    won_deals, lost_deals : int
        Deals won / lost in the period.
    closed_deals : int
        ``won_deals + lost_deals``, the sample size of the win rate.
    win_rate : float
        METRICS.md "Win rate": ``won / (won + lost)`` over deals closed in the period; NaN
        when no deal closed (:func:`analytics.funnel.win_rates`, as every win rate).
    value_win_rate : float
        METRICS.md "Value win rate": ``won amount / (won amount + lost amount)``; NaN when the
        closed amount is 0.
    average_won_deal : float
        ``won_revenue / won_deals``; NaN when no deal was won.
    new_deals : int
        Deals created in the period.
    new_deal_amount : float
        Σ amount of the deals created in the period.
    """

    won_revenue: float
    won_deals: int
    lost_deals: int
    closed_deals: int
    win_rate: float
    value_win_rate: float
    average_won_deal: float
    new_deals: int
    new_deal_amount: float


def deal_kpis(flow: pd.DataFrame) -> DealKpis:
    """Sum the monthly deal flow of a period into :class:`DealKpis`.

    Parameters
    ----------
    flow : DataFrame
        The monthly deal flow (see the module docstring); an empty frame gives zero counts and
        amounts and NaN rates.

    Returns
    -------
    DealKpis
    """
    closed = pd.DataFrame(  # the deals closed in the period, as win_rates counts them
        {
            "status": ["won", "lost"],
            "deals": [int(flow["won"].sum()), int(flow["lost"].sum())],
            "amount": [float(flow["won_amount"].sum()), float(flow["lost_amount"].sum())],
        }
    )
    rates = win_rates(closed).iloc[0]
    return DealKpis(
        won_revenue=float(rates["won_amount"]),
        won_deals=int(rates["won"]),
        lost_deals=int(rates["lost"]),
        closed_deals=int(rates["closed"]),
        win_rate=float(rates["win_rate"]),
        value_win_rate=float(rates["value_win_rate"]),
        average_won_deal=float(rates["average_won_amount"]),
        new_deals=int(flow["created"].sum()),
        new_deal_amount=float(flow["created_amount"].sum()),
    )
