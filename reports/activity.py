"""The Activity page's numbers: the "non-financial" KPIs of METRICS.md — activities done per
working day, active conversations, follow-up compliance, next-step coverage, lead response,
new / reactivated / new-direction / forgotten clients, negotiations state and lost reasons.

The ``crm_data`` queries reduce in SQL; ``analytics.activity`` and friends compute the
KPIs; :func:`activity_report` runs them for the period and its comparison period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import cast

import pandas as pd

from access.roles import EmployeeRole
from analytics.activity import (
    active_conversations,
    activities_per_working_day,
    activity_staff,
    data_discipline,
    followup_compliance,
    lead_response,
    negotiations_state,
    new_direction_clients,
    next_step_coverage,
    overdue_followups,
    reactivated_clients,
    rep_working_days,
)
from analytics.clients import forgotten_clients, new_clients, overdue_by_rhythm
from analytics.deltas import ratio
from analytics.funnel import NO_REASON, lost_reasons
from crm_data.concurrent import gather
from crm_data.filters import Filters, Scope
from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.activity_kpis import (
    employment_spans,
    followup_stats,
    lead_response_times,
    new_line_clients,
)
from crm_data.queries.currency import main_currency
from crm_data.queries.customer_contacts import customer_contacts, customer_contacts_at
from crm_data.queries.customers import order_rhythm
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import funnel_stages, lost_deal_reasons
from crm_data.queries.overdue import overdue_activities
from crm_data.queries.people import people
from crm_data.queries.pipeline import stuck_deal_candidates
from i18n import _
from reports.catalogue import metric
from reports.kpi import Kpi, first_value
from reports.names import names_by_id
from reports.stuck import flag_stuck

__all__ = [
    "ATTENTION_ROWS",
    "ActivityReport",
    "activity_report",
    "call_list",
    "reorder_due",
]

#: Rows kept of the overdue list (the KPI counts all).
ATTENTION_ROWS = 500
#: Columns of :attr:`ActivityReport.reorder_due`.
REORDER_COLUMNS = ["account_id", "account", "owner", "region", "last_order_at",
                   "median_gap_days", "days_since_order", "overdue_by", "revenue"]  # fmt: skip


Call = Callable[[Bind], pd.DataFrame]


@dataclass(frozen=True)
class PeriodWork:
    """One period's work KPIs (everything but the customer snapshots' KPIs).

    Attributes
    ----------
    values : dict
        Card values by catalogue key.
    activities, new_line : DataFrame
        The query results the page lists (activities as weekly totals for a comparison
        period).
    """

    values: dict[str, float]
    activities: pd.DataFrame
    new_line: pd.DataFrame


@dataclass(frozen=True)
class PeriodDetail(PeriodWork):
    """:class:`PeriodWork` of the period the page lists, with what it shows per rep and stage.

    Attributes
    ----------
    per_rep : DataFrame
        Per employee: activities, working days, per working day, judged, compliance, overdue,
        open deals, next-step coverage.
    negotiations : DataFrame
        Open deals at as_of by stage.
    """

    per_rep: pd.DataFrame
    negotiations: pd.DataFrame


def _period_calls(filters: Filters, scope: Scope, *, detail: bool) -> dict[str, Call]:
    """The queries of one period (the customer snapshots aside: ``customer_contacts_at``).

    ``detail=False`` (the comparison period) reads activities as weekly totals only: its cards
    and its weekly trend need no split by employee and type; who logged activities (whose
    working days count per working day) comes from per-employee totals of the period.
    """
    calls: dict[str, Call] = {
        "candidates": lambda b: stuck_deal_candidates(b, filters, scope),
        "followups": lambda b: followup_stats(b, filters, scope),
        "activities": lambda b: activities_by_rep_type_period(
            b, filters, scope, unit="week", detail=detail
        ),
        "response": lambda b: lead_response_times(b, filters, scope, by_owner=False),
        "new_line": lambda b: new_line_clients(b, filters, scope),
        "employment": lambda b: employment_spans(b, filters, scope),
    }
    if not detail:
        calls["logged"] = lambda b: activities_by_rep_type_period(
            b, filters, scope, unit="year", detail=True
        )
    return calls


def _period_work(bind: Bind, filters: Filters, scope: Scope, *, detail: bool) -> PeriodWork:
    """Read one period (its queries one after the other) and compute its work KPIs; with
    ``detail``, a :class:`PeriodDetail`.

    A unit of :func:`activity_report`'s concurrent plan: the KPIs of one period are computed
    while the other period's queries still run.  Its own queries are not split over more
    threads: beside the report's other units that only added CPU (about 10 % at L).
    """
    read = {key: call(bind) for key, call in _period_calls(filters, scope, detail=detail).items()}
    as_of = filters.as_of_ts
    activities, stats, candidates = read["activities"], read["followups"], read["candidates"]
    working = activity_staff(
        rep_working_days(read["employment"], filters.start, filters.until),
        activities if detail else read["logged"],
        always={EmployeeRole.REP},
    )
    total = activities_per_working_day(activities, working, by=None)
    compliance = followup_compliance(stats, by=None)
    response = lead_response(read["response"], by=None)
    values = {
        "activities_done": first_value(total, "activities", 0.0),
        "activities_per_day": first_value(total, "per_working_day"),
        "active_conversations": float(active_conversations(candidates, as_of)),
        "followup_compliance": first_value(compliance, "compliance"),
        "overdue_followups": first_value(compliance, "overdue", 0.0),
        "next_step_coverage": first_value(next_step_coverage(candidates, as_of), "coverage"),
        "lead_response_hours": first_value(response, "median_hours"),
        "new_direction_clients": float(read["new_line"]["account_id"].nunique()),
        "data_discipline": first_value(data_discipline(candidates, as_of), "discipline"),
    }
    if not detail:
        return PeriodWork(values, activities, read["new_line"])
    flagged = flag_stuck(bind, filters, scope, candidates)
    stages = funnel_stages(bind, filters.pipeline, scope)
    negotiations = negotiations_state(flagged, as_of, stages=stages)
    per_rep = (
        activities_per_working_day(activities, working, by="employee_id")[
            ["employee_id", "activities", "working_days", "per_working_day"]
        ]
        .merge(
            followup_compliance(stats, by="employee_id")[
                ["employee_id", "judged", "compliance", "overdue"]
            ],
            on="employee_id",
            how="outer",
        )
        .merge(
            next_step_coverage(candidates, as_of, by="owner_id").rename(
                columns={"owner_id": "employee_id"}
            )[["employee_id", "open_deals", "coverage"]],
            on="employee_id",
            how="outer",
        )
    )
    return PeriodDetail(values, activities, read["new_line"], per_rep, negotiations)


def _moments(filters: Filters) -> tuple[date, date]:
    """The two customer snapshots of a period: at its start and at its as_of."""
    return filters.start, filters.as_of or filters.end


@dataclass(frozen=True)
class PeriodClients:
    """One period's customer KPIs, from the snapshots at its start and its as_of."""

    values: dict[str, float]
    reactivated: pd.DataFrame
    forgotten: pd.DataFrame


def _period_clients(filters: Filters, contacts: Mapping[date, pd.DataFrame]) -> PeriodClients:
    """New, reactivated and forgotten clients of ``filters``' period."""
    at_start, at_end = (contacts[moment] for moment in _moments(filters))
    reactivated = reactivated_clients(at_start, at_end, filters.start_ts)
    forgotten = forgotten_clients(at_end, filters.as_of_ts)
    values = {
        "new_clients": float(len(new_clients(at_end, filters.start_ts, filters.end_ts))),
        "reactivated_clients": float(len(reactivated)),
        "forgotten_clients": float(len(forgotten)),
    }
    return PeriodClients(values, reactivated, forgotten)


#: The KPI cards, in order: key, and the sample-size text's value key (if any).
KPI_KEYS = ("activities_done", "activities_per_day", "active_conversations",
            "followup_compliance", "next_step_coverage", "lead_response_hours", "new_clients",
            "reactivated_clients", "new_direction_clients", "forgotten_clients")  # fmt: skip


@dataclass(frozen=True)
class ActivityReport:
    """Everything the Activity page draws.

    Attributes
    ----------
    kpis : tuple of Kpi
        The cards, with the comparison period's values.
    per_rep : DataFrame
        Per employee whose activities count per working day
        (:func:`analytics.activity.activity_staff`: every rep, anyone else who logged an
        activity; the card is its total activities over its total working days) or who owns
        open deals: activities, working days, per working day, follow-up compliance (with the
        judged count), overdue, open deals and next-step coverage; ``name`` added.
    heatmap : DataFrame
        Done activities per employee, type and week (``activities_by_rep_type_period``), with
        ``name``.
    trend : DataFrame
        Activities per week and type in the period (``period``, ``type``, ``activities``).
    previous_trend : DataFrame
        All activities per week of the comparison period, set beside this period's weeks by
        position (``period`` of this period, ``previous``).
    negotiations : DataFrame
        Open deals at the period end by stage (``negotiations_state``).
    overdue : DataFrame
        The oldest overdue follow-ups (at most :data:`ATTENTION_ROWS`) with ``days_overdue``
        (:func:`analytics.activity.overdue_followups`).
    new_direction : DataFrame
        New-direction clients by region and product line.
    reactivated, forgotten : DataFrame
        Reactivated clients; the forgotten-clients call list (:func:`call_list`).
    lost : DataFrame
        Lost reasons by stage with the "no reason given" share.
    currency : str or None
        The deals' most used currency.
    """

    kpis: tuple[Kpi, ...]
    per_rep: pd.DataFrame
    heatmap: pd.DataFrame
    trend: pd.DataFrame
    previous_trend: pd.DataFrame
    negotiations: pd.DataFrame
    overdue: pd.DataFrame
    new_direction: pd.DataFrame
    reactivated: pd.DataFrame
    forgotten: pd.DataFrame
    lost: pd.DataFrame
    currency: str | None

    def kpi(self, key: str) -> Kpi:
        """The KPI with ``key``."""
        return next(k for k in self.kpis if k.key == key)

    @property
    def no_reason_share(self) -> float:
        """Share of the period's lost deals without a reason (a data-quality KPI; NaN when
        nothing was lost).
        """
        missing = self.lost.loc[self.lost["lost_reason"] == NO_REASON, "deals"].sum()
        return ratio(float(missing), float(self.lost["deals"].sum()))


def call_list(forgotten: pd.DataFrame) -> pd.DataFrame:
    """The forgotten-clients call list: owner, last contact, last order, lifetime revenue and a
    suggested action (the largest accounts first).

    The action: never contacted since the first purchase → an introduction call; a customer
    with orders → a re-order call; otherwise → a check-in call.  The action is text in the
    language in force.
    """
    action = pd.Series(_("Check-in call"), index=forgotten.index, dtype="str")
    action = action.mask(forgotten["last_order_at"].notna(), _("Call about a re-order"))
    action = action.mask(
        forgotten["last_contact_at"].isna(), _("Introduction call: never contacted")
    )
    columns = ["account_id", "account", "owner", "region", "last_contact_at", "last_order_at",
               "days_since_contact", "revenue", "action"]  # fmt: skip
    return forgotten.assign(action=action)[columns].reset_index(drop=True)


def _kpis(now: dict[str, float], then: dict[str, float]) -> tuple[Kpi, ...]:
    return tuple(metric(key).kpi(now[key], then[key]) for key in KPI_KEYS)


def _weekly(activities: pd.DataFrame) -> pd.DataFrame:
    return activities.groupby(["period", "type"], as_index=False)[["activities"]].sum()


def _aligned(now: pd.DataFrame, then: pd.DataFrame) -> pd.DataFrame:
    """Weekly totals of the comparison period set against the current weeks by position (its
    first week beside this period's first week): ``period``, ``previous``.
    """
    weeks = pd.Series(sorted(now["period"].unique()), dtype="datetime64[ns]")
    previous = then.groupby("period")["activities"].sum().sort_index().to_numpy()
    count = min(len(weeks), len(previous))
    return pd.DataFrame({"period": weeks[:count], "previous": previous[:count]})


def activity_report(bind: Bind, filters: Filters, scope: Scope) -> ActivityReport:
    """The Activity page of ``filters``' period for ``scope``, with the comparison period.

    The queries are independent: the two periods (each computing its KPIs as soon as its
    queries are read), the customer snapshots and the page's lists run at once
    (:func:`crm_data.concurrent.gather`).
    """
    previous = filters.comparison()
    calls: dict[tuple[str, object], Callable[[Bind], object]] = {
        ("work", "now"): lambda b: _period_work(b, filters, scope, detail=True),
        ("work", "then"): lambda b: _period_work(b, previous, scope, detail=False),
    }
    # the customer snapshots at both periods' starts and ends, read as consecutive windows;
    # only the one the page lists (this period's end) carries names
    moments = [*_moments(filters), *_moments(previous)]
    calls[("clients", "snapshots")] = lambda b: customer_contacts_at(
        b, filters, scope, moments, named=_moments(filters)[1]
    )
    calls.update(
        {
            ("page", "overdue"): lambda b: overdue_activities(
                b, filters, scope, limit=ATTENTION_ROWS
            ),
            ("page", "lost"): lambda b: lost_reasons(
                lost_deal_reasons(b, filters, scope),
                funnel_stages(b, filters.pipeline, scope),
                by="stage",
            ),
            ("page", "people"): people,
            ("currency", "main"): lambda b: main_currency(b, scope),
        }
    )
    read = gather(bind, calls, workers=len(calls))  # coordinators and small queries: all at once
    now, then = cast(PeriodDetail, read[("work", "now")]), cast(PeriodWork, read[("work", "then")])
    contacts = cast(dict[date, pd.DataFrame], read[("clients", "snapshots")])
    page = {
        key: cast(pd.DataFrame, frame) for (group, key), frame in read.items() if group == "page"
    }
    clients, previous_clients = (_period_clients(f, contacts) for f in (filters, previous))
    names = names_by_id(page["people"], "employee_id")  # one row per rep in the heatmap
    # the employees the activities per working day count (so the card is the table's total),
    # and owners of open deals
    listed = now.per_rep["working_days"].notna() | (now.per_rep["open_deals"].fillna(0) > 0)
    per_rep = now.per_rep[listed].assign(name=now.per_rep["employee_id"].map(names))
    heatmap = now.activities.assign(name=now.activities["employee_id"].map(names))
    currency = cast(tuple[str | None, bool], read[("currency", "main")])[0]
    return ActivityReport(
        kpis=_kpis(now.values | clients.values, then.values | previous_clients.values),
        per_rep=per_rep,
        heatmap=heatmap,
        trend=_weekly(now.activities),
        previous_trend=_aligned(now.activities, then.activities),
        negotiations=now.negotiations,
        overdue=overdue_followups(page["overdue"], filters.as_of_ts),
        new_direction=new_direction_clients(now.new_line, by=["region", "product_line"]),
        reactivated=clients.reactivated,
        forgotten=call_list(clients.forgotten),
        lost=page["lost"],
        currency=currency,
    )


def reorder_due(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Customers silent for more than twice their own median gap between orders, with no open
    deal, at the end of the period (METRICS.md "Forgotten client", per-customer variant);
    the largest first.  A separate report: the page computes it when asked (0.35 s at L).

    Returns
    -------
    DataFrame
        :data:`REORDER_COLUMNS`.
    """
    customers = customer_contacts(bind, filters, scope)
    rhythm = order_rhythm(bind, filters, scope)
    return overdue_by_rhythm(customers, rhythm, filters.as_of_ts)[REORDER_COLUMNS]
