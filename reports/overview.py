"""The executive Overview: KPIs with deltas, revenue trend, why revenue changed, pipeline, what
changed, attention.

Every number comes from an ``analytics`` function applied to frames the ``crm_data`` queries
reduce in SQL; :func:`overview_report` runs them for the period and for its comparison period.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.activity import active_conversations, overdue_followups
from analytics.clients import forgotten_clients, new_clients
from analytics.deals import DealKpis, deal_kpis
from analytics.funnel import win_rates
from analytics.pipeline import PipelineTotals, pipeline_totals
from analytics.revenue_bridge import (
    Bridge,
    ClosedCounts,
    SegmentBridge,
    revenue_bridge,
    segment_bridge,
)
from analytics.trend import monthly_trend
from crm_data.filters import Filters, Scope
from crm_data.queries.currency import main_currency
from crm_data.queries.customer_contacts import customer_contacts
from crm_data.queries.deal_flow import deal_flow_by_month
from crm_data.queries.deal_lists import largest_deals
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import closed_deal_stats
from crm_data.queries.overdue import count_overdue_activities, overdue_activities
from crm_data.queries.pipeline import open_pipeline_by_stage, stuck_deal_candidates
from i18n import ngettext
from i18n.formatting import format_count
from reports.catalogue import metric
from reports.kpi import Kpi
from reports.stuck import flag_stuck, stuck_list

__all__ = [
    "BRIDGE_SPLITS",
    "LIST_ROWS",
    "OverviewReport",
    "PeriodFacts",
    "overview_report",
    "period_facts",
    "split_bridge",
]

#: Rows kept for each "what changed" and "attention" list.
LIST_ROWS = 10
#: Rows kept of the longer attention lists (the counts cover all).
ATTENTION_ROWS = 200
#: The dimensions the revenue bridge is split by (keys of ``crm_data.queries.grouping``).
BRIDGE_SPLITS = ("team", "product_line")


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
    bridge : Bridge
        Why won revenue changed (:func:`analytics.revenue_bridge.revenue_bridge`) from the
        KPI cards' numbers: deals closed, win rate, average won deal of both periods.
    bridge_splits : dict of str to SegmentBridge
        The same change split by each of :data:`BRIDGE_SPLITS`, with the mix
        (:func:`split_bridge`).
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
    bridge: Bridge
    bridge_splits: dict[str, SegmentBridge]

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
    won = ngettext("{n} won deal", "{n} won deals", d.won_deals).format(n=format_count(d.won_deals))
    closed = ngettext("{n} closed deal", "{n} closed deals", d.closed_deals).format(
        n=format_count(d.closed_deals)
    )
    open_deals = ngettext("{n} open deal", "{n} open deals", now.totals.deals).format(
        n=format_count(now.totals.deals)
    )
    return (
        metric("won_revenue").kpi(d.won_revenue, p.won_revenue, won),
        metric("won_deals").kpi(d.won_deals, p.won_deals),
        metric("win_rate").kpi(d.win_rate, p.win_rate, closed),
        metric("average_won_deal").kpi(d.average_won_deal, p.average_won_deal, won),
        metric("new_deals").kpi(d.new_deals, p.new_deals),
        metric("open_pipeline").kpi(now.totals.amount, then.totals.amount, open_deals),
        metric("weighted_pipeline").kpi(now.totals.weighted_amount, then.totals.weighted_amount),
        metric("active_conversations").kpi(now.active_conversations, then.active_conversations),
        metric("new_clients").kpi(now.new_clients, then.new_clients),
        metric("forgotten_clients").kpi(len(now.forgotten), len(then.forgotten)),
    )


def _closed(deals: DealKpis) -> ClosedCounts:
    """The closed deals behind the win-rate and revenue cards."""
    return ClosedCounts(deals.closed_deals, deals.won_deals, deals.won_revenue)


def split_bridge(bind: Bind, filters: Filters, scope: Scope, by: str) -> SegmentBridge:
    """Why won revenue changed against the comparison period, split by ``by`` (a key of
    :data:`crm_data.queries.grouping.GROUPINGS`) with the mix effect.

    The deals are those of the Overview's cards (closed in the period and before as_of),
    counted per segment by :func:`~crm_data.queries.funnel_stats.closed_deal_stats`; the
    segments' column is ``group``.
    """
    before, now = (
        win_rates(closed_deal_stats(bind, period, scope, group=by, binned=False), by="group")
        for period in (filters.comparison(), filters)
    )
    return segment_bridge(before, now, by="group")


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
    flagged = flag_stuck(bind, filters, scope, now.candidates)
    currency, mixed = main_currency(bind, scope)
    overdue = overdue_followups(
        overdue_activities(bind, filters, scope, limit=ATTENTION_ROWS), filters.as_of_ts
    )
    return OverviewReport(
        kpis=_kpis(now, then),
        currency=currency,
        mixed_currencies=mixed,
        trend=monthly_trend(
            now.flow, then.flow, filters.start, filters.until, compared.start, value="won_amount"
        ),
        pipeline=now.pipeline,
        open_deals=now.totals.deals,
        won=largest_deals(bind, filters, scope, "won", LIST_ROWS),
        lost=largest_deals(bind, filters, scope, "lost", LIST_ROWS),
        slipped=largest_deals(bind, filters, scope, "slipped", LIST_ROWS),
        stuck=stuck_list(bind, scope, flagged, ATTENTION_ROWS),
        stuck_count=int(flagged["stuck"].sum()),
        overdue=overdue,
        overdue_count=count_overdue_activities(bind, filters, scope),
        forgotten=now.forgotten.head(ATTENTION_ROWS),
        forgotten_count=len(now.forgotten),
        bridge=revenue_bridge(_closed(then.deals), _closed(now.deals)),
        bridge_splits={by: split_bridge(bind, filters, scope, by) for by in BRIDGE_SPLITS},
    )
