"""The metric catalogue: every metric a KPI card can show, defined once (DESIGN.md §6).

Each :class:`Metric` holds the key, label, definition (METRICS.md, shown as the card's tooltip),
unit, direction and, where it exists, the function computing it per rep and period
(``reports.rep_metrics``; what incentive plans score).  Reports build their cards with
:meth:`Metric.kpi`, so a label or a definition is written in one place whichever page shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.activity import DISCIPLINE_DAYS, SILENCE_DAYS
from analytics.clients import FORGOTTEN_DAYS
from i18n import N_, _
from reports.kpi import Kpi, Unit
from reports.rep_metrics import PER_REP, RepMetric

__all__ = ["CATALOGUE", "Metric", "metric", "per_rep_metrics"]


@dataclass(frozen=True)
class Metric:
    """One metric of the catalogue.

    Attributes
    ----------
    key : str
        Stable identifier (used in URLs, exports and incentive plans).
    label : str
        Short label of a card or a column (English, marked for the catalogue: show it with
        ``_(metric.label)``).
    description : str
        The definition, as METRICS.md states it for this app (English, marked for the
        catalogue; :attr:`definition` is the text shown, in the language in force).
    unit : {"money", "count", "decimal", "ratio", "days", "hours", "multiple"}
        How values are shown.
    section : str
        The group it belongs to ("Revenue", "Funnel", "Pipeline", "Activity", "Service",
        "Customers").
    higher_is_better : bool
        Direction of a good change.
    accumulates : bool
        Whether the value builds up over the period (won revenue, new deals), so progress is
        paced linearly; otherwise it is a level (a rate, a snapshot) whose target holds all along.
    """

    key: str
    label: str
    description: str
    unit: Unit
    section: str
    higher_is_better: bool = True
    accumulates: bool = False

    @property
    def definition(self) -> str:
        """The definition in the language in force, its day limits filled in."""
        return _(self.description).format(**_LIMITS)

    @property
    def per_rep(self) -> RepMetric | None:
        """The function computing the metric per rep and period, if there is one."""
        return PER_REP.get(self.key)

    def kpi(self, value: float, previous: float, sample: str | None = None) -> Kpi:
        """A KPI card of this metric with its comparison value and sample size."""
        return Kpi(
            self.key,
            _(self.label),
            value,
            previous,
            self.unit,
            higher_is_better=self.higher_is_better,
            sample=sample,
            help=self.definition,
        )


#: The day limits some definitions name (``{discipline_days}`` ...), filled in when shown.
_LIMITS = {
    "discipline_days": DISCIPLINE_DAYS,
    "silence_days": SILENCE_DAYS,
    "forgotten_days": FORGOTTEN_DAYS,
}

_METRICS = (
    # ---- revenue ---------------------------------------------------------------------------
    Metric("won_revenue", N_("Won revenue"),
           N_("Sum of the amounts of deals won (closed) in the period."),
           "money", "Revenue", accumulates=True),
    Metric("won_deals", N_("Won deals"), N_("Deals won (closed as won) in the period."), "count",
           "Revenue", accumulates=True),
    Metric("average_won_deal", N_("Average won deal"),
           N_("Won revenue / won deals, over deals won in the period."), "money", "Revenue"),
    # ---- funnel ----------------------------------------------------------------------------
    Metric("new_deals", N_("New deals"), N_("Deals created in the period (the funnel's cohort)."),
           "count", "Funnel", accumulates=True),
    Metric("win_rate", N_("Win rate"),
           N_("Won / (won + lost) over deals closed in the period; open deals count in neither."),
           "ratio", "Funnel"),
    Metric("value_win_rate", N_("Value win rate"),
           N_("Won amount / closed amount over deals closed in the period."), "ratio", "Funnel"),
    Metric("cohort_win_rate", N_("Cohort won so far"),
           N_("Share of the deals created in the period that are won by the period end (young "
           "cohorts still have open deals)."), "ratio", "Funnel"),
    Metric("sales_cycle", N_("Sales cycle (median)"),
           N_("Median of closed − created over deals won in the period, in days (mean in the "
           "tooltip of the table)."), "days", "Funnel", higher_is_better=False),
    Metric("regression_rate", N_("Regression rate"),
           N_("Share of the period's new deals that moved back to an earlier stage at least once."),
           "ratio", "Funnel", higher_is_better=False),
    Metric("stuck_deals", N_("Stuck deals"),
           N_("Open deals longer in their current stage than the stage's limit (rot days, else the "
           "stage's Kaplan–Meier 90th percentile of time in stage)."), "count", "Funnel",
           higher_is_better=False),
    # ---- pipeline --------------------------------------------------------------------------
    Metric("open_pipeline", N_("Open pipeline"),
           N_("Amount of the deals open at the end of the period (the amount of their last stage "
           "change)."), "money", "Pipeline"),
    Metric("weighted_pipeline", N_("Weighted pipeline"),
           N_("Σ amount × stage probability over the deals open at the end of the period."),
           "money", "Pipeline"),
    Metric("sales_velocity", N_("Sales velocity (per day)"),
           N_("Open deals × win rate × average won deal / average sales cycle in days, the last "
           "three over deals closed in the 12 months before the period end; money per day."),
           "money", "Pipeline"),
    Metric("pipeline_coverage", N_("Pipeline coverage"),
           N_("Open pipeline expected to close in the quarter of the period end / (the quarter's "
           "quota − won so far in it); empty when the quota is met."), "multiple", "Pipeline"),
    # ---- activity and customers ------------------------------------------------------------
    Metric("activities_done", N_("Activities done"),
           N_("Calls, meetings, e-mails and tasks done in the period, attributed to whoever did "
           "them."), "count", "Activity", accumulates=True),
    Metric("activities_per_day", N_("Activities per working day"),
           N_("Activities done / working days (Monday–Friday) the employees were employed in the "
           "period."), "decimal", "Activity"),
    Metric("followup_compliance", N_("Follow-up compliance"),
           N_("Planned activities due in the period done by their due time + 1 day / those due "
           "(those still within the grace day at the period end are not judged yet)."),
           "ratio", "Activity"),
    Metric("overdue_followups", N_("Overdue follow-ups"),
           N_("Planned activities due before the end of the period and not done."), "count",
           "Activity", higher_is_better=False),
    Metric("next_step_coverage", N_("Next-step coverage"),
           N_("Share of the deals open at the end of the period with a planned activity due "
           "then or later."), "ratio", "Activity"),
    Metric("lead_response_hours", N_("Lead response (median h)"),
           N_("Median hours from a deal's creation to its first done activity (Kaplan–Meier: "
           "deals not yet contacted count as still waiting)."), "hours", "Activity",
           higher_is_better=False),
    Metric("data_discipline", N_("Data discipline"),
           N_("Share of the open deals touched (stage change or done activity) in the "
           "{discipline_days} days before the end of the period."), "ratio", "Activity"),
    Metric("reactivated_clients", N_("Reactivated clients"),
           N_("Customers forgotten at the start of the period with an order or a done activity "
           "in it."), "count", "Customers", accumulates=True),
    Metric("new_direction_clients", N_("New-direction clients"),
           N_("Accounts that ordered, or won a deal, in a new product line during the period."),
           "count", "Customers", accumulates=True),
    Metric("active_conversations", N_("Active conversations"),
           N_("Open deals with at least one done activity in the {silence_days} days before the "
           "end of the period."), "count", "Activity"),
    Metric("new_clients", N_("New clients"),
           N_("Accounts whose first order (or first won deal, without orders) falls in the "
              "period."),
           "count", "Customers", accumulates=True),
    # ---- service ---------------------------------------------------------------------------
    Metric("tickets_resolved", N_("Tickets resolved"),
           N_("Service tickets resolved in the period, counted for their assignee."), "count",
           "Service", accumulates=True),
    Metric("csat", N_("Customer satisfaction"),
           N_("Mean satisfaction score (1–5) of the tickets resolved in the period that were "
              "rated."),
           "decimal", "Service"),
    Metric("first_response_hours", N_("First response (mean h)"),
           N_("Mean hours from opening to the first response of the tickets resolved in the "
              "period."), "hours", "Service", higher_is_better=False),
    Metric("resolution_hours", N_("Resolution time (median h)"),
           N_("Median hours from opening to resolution of the tickets opened in the period "
           "(Kaplan–Meier: tickets still open count as unresolved so far)."), "hours", "Service",
           higher_is_better=False),
    Metric("forgotten_clients", N_("Forgotten clients"),
           N_("Customers with no done activity and no order in the {forgotten_days} days before "
           "the end of the period, and no open deal (without any contact: {forgotten_days} days "
           "since the first purchase)."),
           "count", "Customers", higher_is_better=False),
)  # fmt: skip

#: Every metric by key, in catalogue order.
CATALOGUE: dict[str, Metric] = {m.key: m for m in _METRICS}


def per_rep_metrics() -> list[Metric]:
    """The metrics an incentive plan can score (those with a per-rep function)."""
    return [m for m in CATALOGUE.values() if m.per_rep is not None]


def metric(key: str) -> Metric:
    """The metric with ``key``.

    Raises
    ------
    KeyError
        Naming the unknown key and the known ones.
    """
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"Unknown metric {key!r}; known: {', '.join(CATALOGUE)}.") from None
