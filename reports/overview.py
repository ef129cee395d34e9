"""The executive Overview: KPIs with deltas, revenue trend, pipeline, what changed, attention.

Every number comes from an ``analytics`` function applied to frames the ``crm_data`` queries
reduce in SQL; :func:`overview_report` runs them for the period and for its comparison period.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.activity import active_conversations, overdue_followups
from analytics.clients import forgotten_clients, new_clients
from analytics.deals import DealKpis, deal_kpis
from analytics.pipeline import PipelineTotals, pipeline_totals
from analytics.stuck import stuck_deals
from analytics.trend import monthly_trend
from crm_data.filters import Filters, Scope
from crm_data.queries.currency import deal_currencies
from crm_data.queries.frames import Bind
from crm_data.queries.overview import (
    count_overdue_activities,
    customer_contacts,
    deal_flow_by_month,
    deal_labels,
    largest_deals,
    overdue_activities,
)
from crm_data.queries.pipeline import open_pipeline_by_stage, stuck_deal_candidates
from reports.kpi import Kpi

__all__ = ["LIST_ROWS", "OverviewReport", "PeriodFacts", "overview_report", "period_facts"]

#: Rows kept for each "what changed" and "attention" list.
LIST_ROWS = 10
#: Rows kept of the longer attention lists (the counts cover all).
ATTENTION_ROWS = 200


@dataclass(frozen=True)
class PeriodFacts:
    """What the Overview computes for one period (the current one or its comparison)."""

    deals: DealKpis
    flow: pd.DataFrame
    pipeline: pd.DataFrame
    totals: PipelineTotals
    candidates: pd.DataFrame
    active_conversations: int
    new_clients: int
    forgotten: pd.DataFrame


@dataclass(frozen=True)
class OverviewReport:
    """Everything the Overview page draws.

    Attributes
    ----------
    kpis : tuple of Kpi
        The KPI cards, each with its comparison value.
    currency : str or None
        The deals' (most used) currency; ``mixed_currencies`` says whether there are others.
    trend : DataFrame
        :func:`analytics.trend.monthly_trend` of won revenue.
    pipeline : DataFrame
        Open pipeline by stage at the period end (``open_pipeline_by_stage``).
    open_deals : int
        Deals open at the period end (the sum of ``pipeline``).
    won, lost, slipped : DataFrame
        The largest deals won, lost and slipped in the period (``largest_deals``).
    stuck : DataFrame
        Open deals flagged stuck (over their stage's time limit), largest first, with names.
    stuck_count, overdue_count, forgotten_count : int
        Sizes of the attention lists (the frames hold at most ``ATTENTION_ROWS`` rows).
    overdue, forgotten : DataFrame
        Overdue follow-ups (oldest first) and forgotten clients (most revenue first).
    """

    kpis: tuple[Kpi, ...]
    currency: str | None
    mixed_currencies: bool
    trend: pd.DataFrame
    pipeline: pd.DataFrame
    open_deals: int
    won: pd.DataFrame
    lost: pd.DataFrame
    slipped: pd.DataFrame
    stuck: pd.DataFrame
    stuck_count: int
    overdue: pd.DataFrame
    overdue_count: int
    forgotten: pd.DataFrame
    forgotten_count: int

    @property
    def has_revenue(self) -> bool:
        """Whether any month of the trend, in either period, has won revenue."""
        return bool(self.trend["current"].any() or self.trend["previous"].any())

    def kpi(self, key: str) -> Kpi:
        """The KPI with ``key``."""
        return next(k for k in self.kpis if k.key == key)


def period_facts(bind: Bind, filters: Filters, scope: Scope) -> PeriodFacts:
    """Deal KPIs, pipeline, open deals (stuck-deal candidates), conversations and clients of
    one period.
    """
    as_of = filters.as_of_ts
    flow = deal_flow_by_month(bind, filters, scope)
    pipeline = open_pipeline_by_stage(bind, filters, scope)
    candidates = stuck_deal_candidates(bind, filters, scope)
    customers = customer_contacts(bind, filters, scope)
    return PeriodFacts(
        deals=deal_kpis(flow),
        flow=flow,
        pipeline=pipeline,
        totals=pipeline_totals(pipeline),
        candidates=candidates,
        active_conversations=active_conversations(candidates, as_of),
        new_clients=len(new_clients(customers, filters.start_ts, filters.end_ts)),
        forgotten=forgotten_clients(customers, as_of),
    )


def _kpis(now: PeriodFacts, then: PeriodFacts) -> tuple[Kpi, ...]:
    d, p = now.deals, then.deals
    return (
        Kpi("won_revenue", "Won revenue", d.won_revenue, p.won_revenue, "money",
            sample=f"{d.won_deals:,} won deals",
            help="Sum of the amounts of deals won (closed) in the period."),
        Kpi("won_deals", "Won deals", d.won_deals, p.won_deals, "count",
            help="Deals won (closed as won) in the period."),
        Kpi("win_rate", "Win rate", d.win_rate, p.win_rate, "ratio",
            sample=f"{d.closed_deals:,} closed deals",
            help="Won / (won + lost) over deals closed in the period; open deals count in "
                 "neither."),
        Kpi("average_won_deal", "Average won deal", d.average_won_deal, p.average_won_deal,
            "money", sample=f"{d.won_deals:,} won deals",
            help="Won revenue / won deals, over deals won in the period."),
        Kpi("new_deals", "New deals", d.new_deals, p.new_deals, "count",
            help="Deals created in the period."),
        Kpi("open_pipeline", "Open pipeline", now.totals.amount, then.totals.amount,
            "money", sample=f"{now.totals.deals:,} open deals",
            help="Amount of the deals open at the end of the period (the amount of their last "
                 "stage change)."),
        Kpi("weighted_pipeline", "Weighted pipeline", now.totals.weighted_amount,
            then.totals.weighted_amount, "money",
            help="Σ amount × stage probability over the deals open at the end of the period."),
        Kpi("active_conversations", "Active conversations", now.active_conversations,
            then.active_conversations, "count",
            help="Open deals with at least one done activity in the 14 days before the end of "
                 "the period."),
        Kpi("new_clients", "New clients", now.new_clients, then.new_clients, "count",
            help="Accounts whose first order (or first won deal, without orders) falls in the "
                 "period."),
        Kpi("forgotten_clients", "Forgotten clients", len(now.forgotten), len(then.forgotten),
            "count", higher_is_better=False,
            help="Customers with no done activity and no order in the 90 days before the end "
                 "of the period, and no open deal (without any contact: 90 days since the "
                 "first purchase)."),
    )  # fmt: skip


def _stuck_list(bind: Bind, scope: Scope, stuck: pd.DataFrame) -> pd.DataFrame:
    """The largest stuck deals with their title, account and owner names."""
    top = stuck.head(ATTENTION_ROWS)
    labels = deal_labels(bind, scope, top["deal_id"].astype(int).tolist())
    named = top.merge(labels[["deal_id", "title", "account", "owner"]], on="deal_id", how="left")
    columns = ["deal_id", "title", "account", "owner", "stage", "days_in_stage", "limit_days",
               "amount", "last_activity_at", "reasons"]  # fmt: skip
    return named[columns]


def overview_report(bind: Bind, filters: Filters, scope: Scope) -> OverviewReport:
    """The Overview of ``filters``' period for ``scope``, compared with its comparison period.

    Examples
    --------
    >>> report = overview_report(engine, Filters(date(2026, 1, 1), date(2026, 4, 1)),
    ...                          Scope.everyone())  # doctest: +SKIP
    >>> report.kpi("win_rate").value  # doctest: +SKIP
    0.41
    """
    compared = filters.comparison()
    now = period_facts(bind, filters, scope)
    then = period_facts(bind, compared, scope)
    flagged = stuck_deals(now.candidates, filters.as_of_ts)
    stuck = flagged[flagged["stuck"]]
    currencies = deal_currencies(bind, scope)
    overdue = overdue_followups(
        overdue_activities(bind, filters, scope, limit=ATTENTION_ROWS), filters.as_of_ts
    )
    return OverviewReport(
        kpis=_kpis(now, then),
        currency=None if currencies.empty else currencies["currency"].iloc[0],
        mixed_currencies=len(currencies) > 1,
        trend=monthly_trend(
            now.flow, then.flow, filters.start, filters.end, compared.start, value="won_amount"
        ),
        pipeline=now.pipeline,
        open_deals=now.totals.deals,
        won=largest_deals(bind, filters, scope, "won", LIST_ROWS),
        lost=largest_deals(bind, filters, scope, "lost", LIST_ROWS),
        slipped=largest_deals(bind, filters, scope, "slipped", LIST_ROWS),
        stuck=_stuck_list(bind, scope, stuck),
        stuck_count=len(stuck),
        overdue=overdue,
        overdue_count=count_overdue_activities(bind, filters, scope),
        forgotten=now.forgotten.head(ATTENTION_ROWS),
        forgotten_count=len(now.forgotten),
    )
