"""The Funnel page's numbers: conversion, time in stage, stuck deals, lost reasons, stage flow,
velocity and coverage (METRICS.md "Funnel and pipeline").

The ``crm_data`` queries aggregate in SQL (reached counts, binned visit durations, closed-deal
stats, transitions); the ``analytics.funnel`` functions turn the small frames into metrics.
:func:`funnel_report` is what the page shows at first; the comparison by a dimension
(:func:`funnel_by_group`) and the pipeline change between two dates (:func:`pipeline_change`)
are separate reports because they depend on choices made on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from analytics.funnel import (
    NO_REASON,
    cohort_won,
    lost_reasons,
    reached,
    regression_rate,
    sales_cycle,
    stage_flow,
    time_in_stage,
    win_rates,
)
from analytics.periods import quarter_start, shift_months
from analytics.pipeline import (
    Coverage,
    Velocity,
    pipeline_coverage,
    sales_velocity,
    velocity_table,
)
from analytics.pipeline_change import pipeline_moves, pipeline_waterfall
from analytics.survival import kaplan_meier
from crm_data.filters import Filters, Scope
from crm_data.queries.currency import main_currency
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import (
    closed_deal_stats,
    funnel_facts,
    funnel_stages,
    lost_deal_reasons,
    open_deal_counts,
    pipeline_pairs,
    quota_total,
    stage_durations,
    stage_transitions,
)
from crm_data.queries.people import people
from crm_data.queries.pipeline import stuck_deal_candidates
from i18n import ngettext
from i18n.formatting import format_count
from reports.catalogue import metric
from reports.kpi import Kpi, first_value
from reports.names import names_by_id
from reports.stuck import flag_stuck, stuck_list
from reports.trailing import velocity_closed

__all__ = [
    "COMPARED_GROUPS",
    "FunnelReport",
    "GroupFunnel",
    "PipelineChange",
    "STUCK_ROWS",
    "coverage_quarter",
    "funnel_by_group",
    "funnel_report",
    "pipeline_change",
]

#: Rows kept of the stuck-deal list (the count covers all).
STUCK_ROWS = 200
#: Groups a split funnel compares at first (a team split shows every team).
COMPARED_GROUPS = 6
#: The KPI cards, in order (keys of ``reports.catalogue.CATALOGUE``).
KPI_KEYS = ("new_deals", "cohort_win_rate", "win_rate", "value_win_rate", "sales_cycle",
            "regression_rate", "stuck_deals", "sales_velocity", "pipeline_coverage")  # fmt: skip


@dataclass(frozen=True)
class PeriodFunnel:
    """The funnel numbers of one period (the selected one or its comparison)."""

    facts: pd.DataFrame
    closed: pd.DataFrame
    candidates: pd.DataFrame
    velocity: Velocity
    coverage: Coverage


@dataclass(frozen=True)
class FunnelReport:
    """Everything the Funnel page draws before the user picks a comparison or dates.

    Attributes
    ----------
    pipeline : str or None
        The pipeline whose stages the funnel shows.
    stages : DataFrame
        Its open stages (``funnel_stages``).
    strict : bool
        Strict funnel (every stage entered in order) instead of the high-water mark.
    funnel, previous_funnel : DataFrame
        :func:`analytics.funnel.reached` of the period's cohort and of the comparison cohort.
    kpis : tuple of Kpi
        Cards with their comparison values.
    currency, mixed_currencies
        The deals' most used currency, and whether there are others.
    time_in_stage : DataFrame
        Kaplan–Meier median/p75/p90 per stage (:func:`analytics.funnel.time_in_stage`).
    survival : DataFrame
        The Kaplan–Meier curve per stage: ``stage, time, survival`` (share of visits still in
        the stage after ``time`` days).
    stuck : DataFrame
        The largest stuck deals with names and reasons (at most :data:`STUCK_ROWS`).
    stuck_count : int
        All stuck deals.
    lost_by_stage, lost_by_rep : DataFrame
        :func:`analytics.funnel.lost_reasons` of the period's lost deals by stage and by owner
        (``owner`` name added).
    flow : DataFrame
        Sankey links (:func:`analytics.funnel.stage_flow`).
    velocity, coverage : Velocity, Coverage
        At the period end; ``coverage_period`` says which quarter.
    """

    pipeline: str | None
    stages: pd.DataFrame
    strict: bool
    funnel: pd.DataFrame
    previous_funnel: pd.DataFrame
    kpis: tuple[Kpi, ...]
    currency: str | None
    mixed_currencies: bool
    time_in_stage: pd.DataFrame
    survival: pd.DataFrame
    stuck: pd.DataFrame
    stuck_count: int
    lost_by_stage: pd.DataFrame
    lost_by_rep: pd.DataFrame
    flow: pd.DataFrame
    velocity: Velocity
    coverage: Coverage
    coverage_period: tuple[date, date]

    @property
    def cohort(self) -> int:
        """Deals created in the period (the funnel's cohort)."""
        return int(self.funnel["cohort"].iloc[0]) if len(self.funnel) else 0

    def kpi(self, key: str) -> Kpi:
        """The KPI with ``key``."""
        return next(k for k in self.kpis if k.key == key)


def coverage_quarter(as_of: date) -> tuple[date, date]:
    """The calendar quarter ``[start, end)`` holding the day before ``as_of`` (the period's
    last day, as the period end is exclusive).

    Examples
    --------
    >>> coverage_quarter(date(2026, 11, 26))
    (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    >>> coverage_quarter(date(2026, 10, 1))
    (datetime.date(2026, 7, 1), datetime.date(2026, 10, 1))
    """
    start = quarter_start(as_of - timedelta(days=1))
    return start, shift_months(start, 3)


def _coverage(bind: Bind, filters: Filters, scope: Scope, candidates: pd.DataFrame) -> Coverage:
    """Pipeline coverage of the quarter holding the period's last day (METRICS.md)."""
    as_of = filters.as_of or filters.end
    q_start, q_end = coverage_quarter(as_of)
    expected = candidates["expected_close_at"]
    in_quarter = (expected >= pd.Timestamp(q_start)) & (expected < pd.Timestamp(q_end))
    won = win_rates(closed_deal_stats(bind, filters.shifted(q_start, as_of), scope, binned=False))
    won_so_far = float(won["won_amount"].iloc[0]) if len(won) else 0.0
    return pipeline_coverage(
        float(candidates.loc[in_quarter, "amount"].sum()),
        quota_total(bind, filters, scope, q_start, q_end),
        won_so_far,
    )


def _period(bind: Bind, filters: Filters, scope: Scope, strict: bool) -> PeriodFunnel:
    closed = closed_deal_stats(bind, filters, scope)
    closed_trailing = velocity_closed(bind, filters, scope, closed)
    candidates = stuck_deal_candidates(bind, filters, scope)
    return PeriodFunnel(
        facts=funnel_facts(bind, filters, scope, strict=strict),
        closed=closed,
        candidates=candidates,
        velocity=sales_velocity(len(candidates), closed_trailing),
        coverage=_coverage(bind, filters, scope, candidates),
    )


def _values(period: PeriodFunnel, funnel: pd.DataFrame, stuck: int) -> dict[str, float]:
    """The KPI values of one period, by metric key (plus the sample sizes behind them)."""
    rates, cycle = win_rates(period.closed), sales_cycle(period.closed)
    return {
        "new_deals": first_value(funnel, "cohort", 0.0),
        # every won deal of the cohort, in either funnel (not the strict funnel's Won step)
        "cohort_win_rate": first_value(cohort_won(period.facts), "won_share"),
        "win_rate": first_value(rates, "win_rate"),
        "value_win_rate": first_value(rates, "value_win_rate"),
        "sales_cycle": first_value(cycle, "median_days"),
        "regression_rate": first_value(regression_rate(period.facts), "regression_rate"),
        "stuck_deals": float(stuck),
        "sales_velocity": period.velocity.per_day,
        "pipeline_coverage": period.coverage.ratio,
        "closed": first_value(rates, "closed", 0.0),
        "won": first_value(cycle, "won", 0.0),
    }


def _kpis(now: dict[str, float], then: dict[str, float], open_deals: int) -> tuple[Kpi, ...]:
    new, closed, won = (round(now[key]) for key in ("new_deals", "closed", "won"))
    new_text = ngettext("{n} new deal", "{n} new deals", new).format(n=format_count(new))
    closed_text = ngettext("{n} closed deal", "{n} closed deals", closed).format(
        n=format_count(closed)
    )
    open_text = ngettext("{n} open deal", "{n} open deals", open_deals).format(
        n=format_count(open_deals)
    )
    samples = {
        "cohort_win_rate": new_text,
        "win_rate": closed_text,
        "value_win_rate": closed_text,
        "sales_cycle": ngettext("{n} won deal", "{n} won deals", won).format(n=format_count(won)),
        "regression_rate": new_text,
        "stuck_deals": open_text,
        "sales_velocity": open_text,
    }
    return tuple(metric(key).kpi(now[key], then[key], samples.get(key)) for key in KPI_KEYS)


def _survival(durations: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan–Meier curve of every stage's visits (``stage, time, survival``)."""
    names = stages.set_index("stage_id")["stage"]
    visits = durations[durations["stage_id"].isin(names.index)]
    curves = kaplan_meier(
        visits["duration_days"],
        ~visits["censored"],
        visits["visits"],
        groups=visits["stage_id"].map(names),
    )
    if curves.empty:
        return pd.DataFrame({"stage": pd.Series(dtype="str"), "time": [], "survival": []})
    return curves.rename(columns={"group": "stage"})[["stage", "time", "survival"]]


def _lost_by_rep(bind: Bind, lost: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Per owner: lost deals and amount, the main reason and its share, the "no reason" share.

    Returns ``owner, deals, amount, top_reason, top_share, no_reason_share``, most lost first.
    """
    by_rep = lost_reasons(lost, stages, by="owner_id")
    columns = ["owner", "deals", "amount", "top_reason", "top_share", "no_reason_share"]
    if by_rep.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    totals = by_rep.groupby("owner_id")[["deals", "amount"]].sum()
    given = by_rep[by_rep["lost_reason"] != NO_REASON]
    top = given.sort_values(["deals", "lost_reason"], ascending=[False, True])
    top = top.drop_duplicates("owner_id").set_index("owner_id")
    none = by_rep[by_rep["lost_reason"] == NO_REASON].set_index("owner_id")["share"]
    names = names_by_id(people(bind), "employee_id")
    table = totals.assign(
        owner=totals.index.map(names),
        top_reason=top["lost_reason"].reindex(totals.index),
        top_share=top["share"].reindex(totals.index),
        no_reason_share=none.reindex(totals.index).fillna(0.0),
    )
    return table.sort_values(["deals", "amount"], ascending=False)[columns].reset_index(drop=True)


def funnel_report(bind: Bind, filters: Filters, scope: Scope, strict: bool = False) -> FunnelReport:
    """The Funnel of ``filters``' period for ``scope``, compared with its comparison period.

    Parameters
    ----------
    bind : Engine or Connection
        The CRM database.
    filters, scope : Filters, Scope
        The selection and who is asking.
    strict : bool
        Count a deal at a stage only if it entered every earlier stage in order (METRICS.md
        "Strict funnel"); default the high-water mark.

    Examples
    --------
    >>> report = funnel_report(engine, Filters(date(2026, 1, 1), date(2026, 4, 1)),
    ...                        Scope.everyone())  # doctest: +SKIP
    >>> report.funnel[["stage", "reached", "next_conversion"]]  # doctest: +SKIP
    """
    stages = funnel_stages(bind, filters.pipeline, scope)
    compared = filters.comparison()
    now = _period(bind, filters, scope, strict)
    then = _period(bind, compared, scope, strict)
    funnels = tuple(reached(p.facts, stages, strict=strict) for p in (now, then))
    flagged = flag_stuck(bind, filters, scope, now.candidates)
    previous_stuck = int(flag_stuck(bind, compared, scope, then.candidates)["stuck"].sum())
    stuck_count = int(flagged["stuck"].sum())
    values = (_values(now, funnels[0], stuck_count), _values(then, funnels[1], previous_stuck))
    durations = stage_durations(bind, filters, scope)
    lost = lost_deal_reasons(bind, filters, scope)
    currency, mixed = main_currency(bind, scope)
    all_stages = funnel_stages(bind, filters.pipeline, scope, terminal=True)
    return FunnelReport(
        pipeline=None if stages.empty else str(stages["pipeline"].iloc[0]),
        stages=stages,
        strict=strict,
        funnel=funnels[0],
        previous_funnel=funnels[1],
        kpis=_kpis(*values, len(now.candidates)),
        currency=currency,
        mixed_currencies=mixed,
        time_in_stage=time_in_stage(durations, stages),
        survival=_survival(durations, stages),
        stuck=stuck_list(bind, scope, flagged, STUCK_ROWS),
        stuck_count=stuck_count,
        lost_by_stage=lost_reasons(lost, stages, by="stage"),
        lost_by_rep=_lost_by_rep(bind, lost, stages),
        flow=stage_flow(stage_transitions(bind, filters, scope), all_stages),
        velocity=now.velocity,
        coverage=now.coverage,
        coverage_period=coverage_quarter(filters.as_of or filters.end),
    )


@dataclass(frozen=True)
class GroupFunnel:
    """The funnel split by one dimension.

    Attributes
    ----------
    dimension : str
        A key of ``crm_data.queries.grouping.GROUPINGS``.
    funnel : DataFrame
        :func:`analytics.funnel.reached` with a ``group`` column.
    win_rates : DataFrame
        :func:`analytics.funnel.win_rates` of the deals closed in the period, per group.
    velocity : DataFrame
        :func:`analytics.pipeline.velocity_table` per group at the period end.
    """

    dimension: str
    funnel: pd.DataFrame
    win_rates: pd.DataFrame
    velocity: pd.DataFrame

    @property
    def groups(self) -> list[str]:
        """The groups, largest cohort first."""
        sizes = self.funnel.groupby("group")["cohort"].first().sort_values(ascending=False)
        return list(sizes.index)

    @property
    def default_groups(self) -> list[str]:
        """The groups compared before the user picks: all of them up to
        :data:`COMPARED_GROUPS`, else that many of the largest.
        """
        return self.groups[:COMPARED_GROUPS]

    def summary(self, groups: list[str]) -> pd.DataFrame:
        """Win rates and velocity of ``groups``, one row each, in that order."""
        table = self.win_rates.merge(
            self.velocity[["group", "open_deals", "per_day"]], on="group", how="outer"
        )
        return table.set_index("group").reindex(groups).reset_index()


def funnel_by_group(
    bind: Bind, filters: Filters, scope: Scope, dimension: str, strict: bool = False
) -> GroupFunnel:
    """The period's funnel, win rates and sales velocity per value of ``dimension`` (a key of
    ``crm_data.queries.grouping.GROUPINGS``), for side-by-side comparison.
    """
    stages = funnel_stages(bind, filters.pipeline, scope)
    facts = funnel_facts(bind, filters, scope, group=dimension, strict=strict)
    closed = closed_deal_stats(bind, filters, scope, group=dimension, binned=False)
    closed_trailing = velocity_closed(bind, filters, scope, closed, group=dimension)
    open_deals = open_deal_counts(bind, filters, scope, group=dimension)
    return GroupFunnel(
        dimension=dimension,
        funnel=reached(facts, stages, by="group", strict=strict),
        win_rates=win_rates(closed, by="group"),
        velocity=velocity_table(open_deals, closed_trailing, by="group"),
    )


@dataclass(frozen=True)
class PipelineChange:
    """How the open pipeline changed between two dates (METRICS.md "Pipeline change")."""

    start: date
    end: date
    waterfall: pd.DataFrame
    moves: pd.DataFrame


def pipeline_change(
    bind: Bind, filters: Filters, scope: Scope, start: date, end: date
) -> PipelineChange:
    """The pipeline waterfall from the snapshot at ``start`` to the one at ``end`` (midnights),
    for the deals ``filters``' narrowing lists and ``scope`` allow.
    """
    pairs = pipeline_pairs(bind, filters, scope, start, end)
    return PipelineChange(start, end, pipeline_waterfall(pairs), pipeline_moves(pairs))
