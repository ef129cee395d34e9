"""The Campaigns & Service page's numbers (METRICS.md "Customers and segments", Campaigns and
Service).

Campaigns: the campaigns started in the period with their members in scope
(:func:`crm_data.queries.campaigns.campaign_results`), their response rate, conversion to deals,
attributed revenue and ROI (:mod:`analytics.campaigns`), per campaign, per target segment and
per channel, with KPI cards against the campaigns of the comparison period.

Service: the tickets of the scope's accounts (:mod:`crm_data.queries.service_quality`) —
tickets opened, Kaplan–Meier median first-response and resolution hours, first-response SLA
breaches, satisfaction, complaints per 100 active customers, repeat complainers, month by month
and per category (:mod:`analytics.service`, definitions there), against the comparison period;
and, with the customers' modelled churn risk (:func:`reports.clv.customer_values`), how the
customers who complained compare with the others (:func:`complaints_vs_churn`).

The member's RFM segment is not a campaign grouping: it is read at ``as_of``, after the
campaign, so a response that led to orders would lift the responder's segment and make the
grouping flatter the campaign.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import pandas as pd

from analytics.campaigns import campaign_groups, campaign_metrics
from analytics.service import (
    ACTIVE_DAYS,
    COMPLAINT,
    SLA_FIRST_RESPONSE_HOURS,
    category_table,
    complaints_and_churn,
    monthly_service,
    repeat_complainers,
    service_kpis,
    sla_table,
)
from crm_data.concurrent import gather
from crm_data.filters import Filters, Scope
from crm_data.queries.campaigns import CONVERSION_DAYS, campaign_results
from crm_data.queries.currency import main_currency
from crm_data.queries.frames import Bind
from crm_data.queries.people import people
from crm_data.queries.service_quality import (
    customer_complaints,
    ticket_counts,
    ticket_ratings,
    ticket_times,
)
from i18n import N_, _, ngettext
from i18n.formatting import format_count, format_number
from reports.catalogue import metric
from reports.clv import CustomerValues
from reports.kpi import Kpi, Unit
from reports.names import names_by_id

__all__ = [
    "CampaignsReport",
    "ServiceReport",
    "campaigns_report",
    "complaints_vs_churn",
    "service_report",
]


@dataclass(frozen=True)
class _Card:
    """A KPI card of this page that the metric catalogue does not hold."""

    label: str
    help: str
    unit: Unit
    higher_is_better: bool = True

    def kpi(self, key: str, value: float, previous: float, sample: str | None = None) -> Kpi:
        """The card of ``key`` in the language in force, its limits filled in."""
        targets = SLA_FIRST_RESPONSE_HOURS.items()
        limits = {"days": CONVERSION_DAYS, "active_days": ACTIVE_DAYS,
                  **{f"sla_{name}": format_number(hours) for name, hours in targets}}  # fmt: skip
        return Kpi(key, _(self.label), value, previous, self.unit, self.higher_is_better,
                   sample, _(self.help).format(**limits))  # fmt: skip


#: The campaign cards, in order.
CAMPAIGN_CARDS: dict[str, _Card] = {
    "campaigns": _Card(N_("Campaigns"), N_("Campaigns started in the period that reached "
                                           "customers in scope."), "count"),
    "members": _Card(N_("Customers reached"), N_("Campaign members in scope: one per "
                                                 "campaign and customer."), "count"),
    "response_rate": _Card(N_("Response rate"), N_("Members who responded before the end of "
                                                   "the period ÷ members."), "ratio"),
    "conversion_rate": _Card(
        N_("Conversion to deals"),
        N_("Members with a deal created within {days} days of the campaign reaching them ÷ "
           "members."), "ratio"),
    "won_amount": _Card(N_("Attributed revenue"), N_("Won amount of the deals that followed "
                                                     "the campaigns (within {days} days)."),
                        "money"),
    "roi": _Card(N_("ROI"), N_("(Attributed revenue − budget) ÷ budget, in multiples of the "
                               "budget (2.0× = the budget back and twice as much on top); a "
                               "rep's or a team's budget is the campaigns' budget × their "
                               "share of the members."), "multiple"),
}  # fmt: skip

#: The service cards this page defines (the others come from the metric catalogue).
SERVICE_CARDS: dict[str, _Card] = {
    "tickets_opened": _Card(N_("Tickets opened"), N_("Service tickets opened in the period."),
                            "count", higher_is_better=False),
    "first_response_hours": _Card(
        N_("First response (median h)"),
        N_("Median hours from opening to the first response (or to the resolution when no "
           "response was logged) of the tickets opened in the period (Kaplan–Meier: tickets "
           "still unanswered count as waiting so far)."), "hours", higher_is_better=False),
    "sla_breach_share": _Card(
        N_("SLA breaches"),
        N_("Share of the tickets opened in the period answered later than the first-response "
           "target of their priority (urgent {sla_urgent} h, high {sla_high} h, medium "
           "{sla_medium} h, low {sla_low} h) or still unanswered past it; tickets still within "
           "their target are not judged yet."), "ratio", higher_is_better=False),
    "complaints_per_100": _Card(
        N_("Complaints per 100 active customers"),
        N_("Complaints opened in the period × 100 ÷ active customers: accounts with an order "
           "in the {active_days} days before the end of the period."), "decimal",
        higher_is_better=False),
}  # fmt: skip


@dataclass(frozen=True)
class CampaignsReport:
    """The campaigns started in the period, for the members a scope sees.

    Attributes
    ----------
    campaigns : DataFrame
        Per campaign (by id): :func:`~crm_data.queries.campaigns.campaign_results` with
        :func:`~analytics.campaigns.campaign_metrics` (``budget_share``: the scope's part of
        the budget).
    by_segment, by_channel : DataFrame
        :func:`~analytics.campaigns.campaign_groups` per target segment and per channel, the
        most members first.
    kpis : tuple of Kpi
        The cards, with the comparison period's campaigns.
    currency : str or None
        The deals' most used currency (the amounts' unit).
    """

    campaigns: pd.DataFrame
    by_segment: pd.DataFrame
    by_channel: pd.DataFrame
    kpis: tuple[Kpi, ...]
    currency: str | None


def _campaign_values(metrics: pd.DataFrame) -> dict[str, float]:
    """The campaign cards' values of one period (NaN rates without campaigns)."""
    total = campaign_groups(metrics).iloc[0] if len(metrics) else None
    values = {"campaigns": float(len(metrics))}
    for key in ("members", "response_rate", "conversion_rate", "won_amount", "roi"):
        zero = 0.0 if key in ("members", "won_amount") else float("nan")
        values[key] = zero if total is None else float(total[key])
    return values


def _by(metrics: pd.DataFrame, column: str) -> pd.DataFrame:
    """:func:`campaign_groups` by ``column``, the most members first."""
    groups = campaign_groups(metrics, by=column)
    return groups.sort_values(["members", column], ascending=[False, True],
                              kind="stable").reset_index(drop=True)  # fmt: skip


def campaigns_report(bind: Bind, filters: Filters, scope: Scope) -> CampaignsReport:
    """The campaigns of ``filters``' period for ``scope``, with the comparison period's cards."""
    read = gather(
        bind,
        {
            "now": lambda b: campaign_results(b, filters, scope),
            "then": lambda b: campaign_results(b, filters.comparison(), scope),
            "currency": lambda b: main_currency(b, scope),
        },
    )
    now = campaign_metrics(cast(pd.DataFrame, read["now"]))
    then = campaign_metrics(cast(pd.DataFrame, read["then"]))
    current, previous = _campaign_values(now), _campaign_values(then)
    members = ngettext("{n} member", "{n} members", int(current["members"])).format(
        n=format_count(current["members"])
    )
    kpis = tuple(
        card.kpi(key, current[key], previous[key],
                 members if key in ("response_rate", "conversion_rate") else None)
        for key, card in CAMPAIGN_CARDS.items()
    )  # fmt: skip
    currency = cast(tuple[str | None, bool], read["currency"])[0]
    return CampaignsReport(now, _by(now, "segment"), _by(now, "channel"), kpis, currency)


@dataclass(frozen=True)
class ServiceReport:
    """The service tickets of a scope's accounts in the period.

    Attributes
    ----------
    as_of : datetime
        The evaluation moment (nothing at or after it counts).
    kpis : tuple of Kpi
        Tickets opened, median first response and resolution hours, SLA breach share,
        satisfaction, complaints per 100 active customers; with the comparison period's values.
    values : dict
        The period's values by key (:func:`analytics.service.service_kpis`).
    categories : DataFrame
        :func:`analytics.service.category_table`.
    sla : DataFrame
        :func:`analytics.service.sla_table`.
    monthly : DataFrame
        :func:`analytics.service.monthly_service`.
    complainers : DataFrame
        :func:`analytics.service.repeat_complainers` with ``owner`` (the account owner's name).
    customers : DataFrame
        :func:`crm_data.queries.service_quality.customer_complaints` of the period.
    """

    as_of: datetime
    kpis: tuple[Kpi, ...]
    values: dict[str, float]
    categories: pd.DataFrame
    sla: pd.DataFrame
    monthly: pd.DataFrame
    complainers: pd.DataFrame
    customers: pd.DataFrame

    @property
    def has_tickets(self) -> bool:
        """Whether a ticket was opened or resolved in the period."""
        return bool(self.values["tickets_opened"]) or bool(self.monthly["resolved"].sum())


def _period_calls(filters: Filters, scope: Scope) -> dict[str, Callable[[Bind], pd.DataFrame]]:
    """The service queries of one period."""
    return {
        "counts": lambda b: ticket_counts(b, filters, scope, SLA_FIRST_RESPONSE_HOURS),
        "times": lambda b: ticket_times(b, filters, scope),
        "ratings": lambda b: ticket_ratings(b, filters, scope),
        "customers": lambda b: customer_complaints(
            b, filters, scope, category=COMPLAINT, active_days=ACTIVE_DAYS
        ),
    }


def _service_kpis(now: dict[str, float], then: dict[str, float]) -> tuple[Kpi, ...]:
    """The service cards in order, with the samples behind the rates."""
    judged, rated, active = (int(now[k]) for k in ("judged", "rated", "active_customers"))
    samples = {
        "sla_breach_share": ngettext("{n} ticket judged", "{n} tickets judged", judged),
        "csat": ngettext("{n} rating", "{n} ratings", rated),
        "complaints_per_100": ngettext("{n} active customer", "{n} active customers", active),
    }
    counts = {"sla_breach_share": judged, "csat": rated, "complaints_per_100": active}
    kpis = []
    for key in ("tickets_opened", "first_response_hours", "resolution_hours",
                "sla_breach_share", "csat", "complaints_per_100"):  # fmt: skip
        sample = samples[key].format(n=format_count(counts[key])) if key in samples else None
        if key in SERVICE_CARDS:
            kpis.append(SERVICE_CARDS[key].kpi(key, now[key], then[key], sample))
        else:
            kpis.append(metric(key).kpi(now[key], then[key], sample))
    return tuple(kpis)


def service_report(bind: Bind, filters: Filters, scope: Scope) -> ServiceReport:
    """The service of ``filters``' period for ``scope``, with the comparison period's cards
    (both periods' queries run at once, :func:`crm_data.concurrent.gather`).
    """
    calls: dict[tuple[str, str], Callable[[Bind], pd.DataFrame]] = {
        ("now", key): call for key, call in _period_calls(filters, scope).items()
    }
    calls.update(
        {("then", key): call for key, call in _period_calls(filters.comparison(), scope).items()}
    )
    calls[("page", "people")] = people
    read = gather(bind, calls)
    now = {key: frame for (period, key), frame in read.items() if period == "now"}
    then = {key: frame for (period, key), frame in read.items() if period == "then"}
    values = service_kpis(now["counts"], now["times"], now["ratings"], now["customers"])
    previous = service_kpis(then["counts"], then["times"], then["ratings"], then["customers"])
    names = names_by_id(read[("page", "people")], "employee_id")
    complainers = repeat_complainers(now["customers"])
    complainers.insert(2, "owner", complainers["owner_id"].map(names).astype("str"))
    return ServiceReport(
        as_of=filters.as_of_ts,
        kpis=_service_kpis(values, previous),
        values=values,
        categories=category_table(now["counts"], now["times"], now["ratings"]),
        sla=sla_table(now["counts"], now["times"]),
        monthly=monthly_service(now["counts"], now["ratings"]),
        complainers=complainers,
        customers=now["customers"],
    )


def complaints_vs_churn(report: ServiceReport, values: CustomerValues) -> pd.DataFrame:
    """The active customers who complained in the period against the others: lapse share and
    mean churn risk (:func:`analytics.service.complaints_and_churn`; churn risk only when the
    purchase model was fitted, :attr:`reports.clv.CustomerValues.fitted`).

    Parameters
    ----------
    report : ServiceReport
        The period's customers and complaints.
    values : CustomerValues
        :func:`reports.clv.customer_values` of the same filters and scope.
    """
    risk = values.table.set_index("account_id")["churn_risk"] if values.fitted else None
    return complaints_and_churn(report.customers, report.as_of, risk)
