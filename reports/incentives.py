"""Incentive scorecards of a stored plan (METRICS.md "Incentive scorecards").

A plan version from ``appdb.plans`` becomes an ``analytics.incentives.plan.Plan`` (the
direction of each item comes from the metric catalogue); the reps' actuals come from the
catalogue's per-rep functions over the plan's period up to today; :func:`incentive_report`
returns the scorecards, pacing, the score distribution and the plan's sanity warnings against
the last four periods.

Who is scored follows the plan's items (:func:`plan_role`): the sales reps, or the service
agents for a plan of service metrics only.  A rep employed for part of the plan's period (a
joiner or a leaver) has the targets of the items that build up over the period (won revenue,
new deals, activities done…) prorated to the working days employed, and is paced on those days.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from access import roles
from access.roles import EmployeeRole
from analytics.activity import rep_working_days
from analytics.funnel import win_rates
from analytics.incentives.gaming_signals import gaming_signals
from analytics.incentives.pacing import PACING_STATES, pacing
from analytics.incentives.plan import Plan, PlanItem, check_period
from analytics.incentives.plan_warnings import PlanWarning, plan_warnings
from analytics.incentives.scoring import Scorecard, scorecard
from analytics.incentives.what_if import WhatIf, what_if
from analytics.periods import next_period, shift_months, working_days
from appdb.plans import PlanError, StoredItem, StoredPlan
from crm_data.concurrent import gather
from crm_data.filters import Filters, Scope
from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.activity_kpis import call_counts, employment_spans
from crm_data.queries.currency import main_currency
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import closed_deal_stats
from crm_data.queries.people import people
from i18n import _
from reports.catalogue import metric
from reports.names import names_by_id
from reports.rep_metrics import rep_actuals

__all__ = [
    "HISTORY_PERIODS",
    "IncentiveReport",
    "incentive_report",
    "plan_reps",
    "plan_role",
    "sees_plan_design",
    "simulate",
    "to_plan",
]

#: Earlier periods of the plan's length checked by the sanity warnings.
HISTORY_PERIODS = 4
#: Calendar months (up to today) compared by the gaming signals.
GAMING_MONTHS = 4
#: The catalogue section of the metrics about service tickets (scored for service agents).
SERVICE_SECTION = "Service"
#: The columns of the gaming signals' activity counts.
_ACTIVITY = ["rep_id", "period", "activities", "conversions"]


def to_plan(stored: StoredPlan) -> Plan:
    """The analytics plan of a stored version (item directions from the metric catalogue).

    This is the rule a version must meet to be stored (``reports.plan_store``): its items, as
    ``analytics.incentives.plan.PlanItem`` and ``Plan`` check them, and its period
    (``analytics.incentives.plan.check_period``).

    Raises
    ------
    PlanError
        When the version cannot be scored (an unknown metric, a lower-is-better item without a
        cap, a period beyond the years plans cover, ...), with what to change.
    """
    try:
        check_period(stored.period_start, stored.period_end)
        items = tuple(
            PlanItem(
                item.metric_key,
                item.weight,
                target=item.target,
                threshold=item.threshold,
                cap=item.cap,
                accelerator=item.accelerator,
                higher_is_better=metric(item.metric_key).higher_is_better,
                label=metric(item.metric_key).label,
            )
            for item in stored.items
        )
        targets: dict[tuple[str, Hashable], float] = {
            (item.metric_key, rep): target
            for item in stored.items
            for rep, target in item.rep_targets
        }
        return Plan(items, on_target_bonus=stored.on_target_bonus, targets=targets)
    except (KeyError, ValueError) as error:
        raise PlanError(
            _("Plan “{name}” cannot be scored: {reason}").format(name=stored.name, reason=error)
        ) from error


def sees_plan_design(scope: Scope) -> bool:
    """Whether ``scope`` sees how a plan is designed and works out across reps: its sanity
    warnings, the gaming signals, the team's score distribution, the plan itself, what-if and
    history — heads, executives, admins and analysts (who read, not edit).  A rep sees only
    their own scorecard, pacing and next steps: advice to the plan's designer computed on one
    rep's numbers would mislead.
    """
    return roles.sees_plan_design(scope.role)


def plan_role(stored: StoredPlan) -> EmployeeRole:
    """Who the plan scores, by its items: ``"service"`` (the service agents) when every item is
    a service metric of the catalogue (tickets resolved, satisfaction, resolution time), else
    ``"rep"`` (the sales reps).  A plan mixing both scores the reps, its service items on the
    tickets assigned to each rep, and its warnings say so.
    """
    service = [metric(item.metric_key).section == SERVICE_SECTION for item in stored.items]
    return EmployeeRole.SERVICE if service and all(service) else EmployeeRole.REP


def _staff(
    bind: Bind, scope: Scope, stored: StoredPlan, start: date, end: date, as_of: date
) -> pd.DataFrame:
    """The people of the plan's role and team that ``scope`` may see employed at some time in
    ``[start, end)`` before ``as_of``: ``rep_id``, ``worked_days`` (working days employed in
    ``[start, end)``, the employment known at ``as_of`` carried on), ``elapsed_days`` (of
    those, before ``as_of``).
    """
    spans = employment_spans(bind, _filters(stored, start, end, as_of), scope)
    staff = spans[spans["role"] == plan_role(stored)].reset_index(drop=True)
    return pd.DataFrame(
        {
            "rep_id": staff["employee_id"].astype("int64"),
            "worked_days": rep_working_days(staff, start, end)["working_days"],
            "elapsed_days": rep_working_days(staff, start, as_of)["working_days"],
        }
    )


def plan_reps(
    bind: Bind, scope: Scope, stored: StoredPlan, as_of: date | None = None
) -> pd.DataFrame:
    """The people the plan scores that ``scope`` may see: those of its role (:func:`plan_role`:
    reps, or service agents), in the plan's team (any team for a company-wide plan), employed
    at some time in the plan's period before ``as_of`` (default the period's end).

    Returns ``rep_id`` int, ``name`` str (a name several people share carries the id: "Ann Lee
    (#12)"), ``worked_days`` int (working days employed in the period, the employment known at
    ``as_of`` carried on to the period's end), ``elapsed_days`` int (of those, before
    ``as_of``), ordered by name.
    """
    start, end = stored.period_start, stored.period_end
    reps = _staff(bind, scope, stored, start, end, as_of or end)
    names = people(bind).set_index("employee_id")["name"]
    reps.insert(1, "name", reps["rep_id"].map(names))
    reps = reps.assign(name=reps["rep_id"].map(names_by_id(reps, "rep_id")))
    return reps.sort_values(["name", "rep_id"], ignore_index=True)


def _employment(reps: pd.DataFrame, total: int) -> pd.DataFrame:
    """The working days employed of ``reps`` (:func:`plan_reps`) as ``scorecard`` prorates by."""
    return reps[["rep_id", "worked_days"]].assign(total_days=total)


def _prorated(*plans: Plan) -> list[str]:
    """The plans' metric keys whose targets are prorated: those that build up over a period."""
    return sorted({key for plan in plans for key in plan.keys if metric(key).accumulates})


def _filters(stored: StoredPlan, start: date, end: date, as_of: date | None = None) -> Filters:
    teams = () if stored.team_id is None else (stored.team_id,)
    return Filters(start, end, teams=teams, as_of=as_of)


def _actuals(
    bind: Bind, scope: Scope, plan: Plan, filters: Filters, reps: list[int]
) -> pd.DataFrame:
    """The reps' actuals, counts and money of reps without any deal in the basis set to 0
    (a missing count is a zero, not an unknown).
    """
    actuals = rep_actuals(bind, filters, scope, list(plan.keys))
    actuals = actuals[actuals["rep_id"].isin(reps)]
    zeros = []
    for key in plan.keys:
        if metric(key).unit not in ("count", "money"):
            continue
        have = set(actuals.loc[actuals["metric_key"] == key, "rep_id"])
        missing = sorted(set(reps) - have)
        zeros.append(pd.DataFrame({"rep_id": missing, "metric_key": key, "actual": 0.0}))
    return pd.concat([actuals, *zeros], ignore_index=True)


@dataclass(frozen=True)
class IncentiveReport:
    """What the Incentives page shows for one plan version.

    Attributes
    ----------
    plan : StoredPlan
        The version scored.
    as_of : date
        Actuals are counted up to this day (excluded): today + 1 day, within the plan period.
    elapsed_days, total_days : int
        Working days of the plan period elapsed by ``as_of``, and in all.
    reps : DataFrame
        The people scored (:func:`plan_reps`): ``rep_id``, ``name``, ``worked_days`` and
        ``elapsed_days`` (working days employed in the period, and of those before ``as_of``).
    scorecard : Scorecard
        Items and per-rep summary (``analytics.incentives.scoring.scorecard``), with ``name`` added.
    pacing : DataFrame
        Per (rep, item): ``expected`` by now and ``status`` (on track / at risk / off track);
        a partial-period rep is paced on the working days employed.
    warnings : list of PlanWarning
        The plan's sanity warnings against the last :data:`HISTORY_PERIODS` periods (none for
        a scope that does not see the plan's design, :func:`sees_plan_design`).
    signals : DataFrame
        Gaming signals of the reps (``analytics.incentives.gaming_signals``): activity volume
        up while won deals per activity fall over the last :data:`GAMING_MONTHS` months, many
        very short calls in the plan period so far (none without :func:`sees_plan_design`).
    currency : str or None
        The deals' most used currency (money actuals and targets, and the bonus).
    """

    plan: StoredPlan
    as_of: date
    elapsed_days: int
    total_days: int
    reps: pd.DataFrame
    scorecard: Scorecard
    pacing: pd.DataFrame
    warnings: list[PlanWarning]
    signals: pd.DataFrame
    currency: str | None

    def rep_summary(self) -> pd.DataFrame:
        """Per rep: ``name``, ``score``, ``bonus``, how many items are ``on track`` / ``at risk``
        / ``off track``, and the scorecard's ``note``.
        """
        counts = self.pacing.pivot_table(
            index="rep_id", columns="status", values="metric_key", aggfunc="count", fill_value=0
        ).reindex(columns=list(PACING_STATES), fill_value=0)
        table = self.scorecard.summary.merge(counts, left_on="rep_id", right_index=True,
                                             how="left")  # fmt: skip
        table[list(PACING_STATES)] = table[list(PACING_STATES)].fillna(0).astype("int64")
        return table[["rep_id", "name", "score", "bonus", *PACING_STATES, "note"]]

    def rep_detail(self, rep_id: int) -> pd.DataFrame:
        """One rep's scorecard item by item: ``metric`` (label), its catalogue ``unit``,
        ``actual``, ``target``, ``attainment`` (NaN for a lower-is-better actual of 0: no finite
        attainment, credited at the cap), ``credited``, ``effective_weight``, ``points``,
        ``expected`` by now, pacing ``status`` and ``note``.
        """
        items = self.scorecard.items
        detail = items[items["rep_id"] == rep_id].merge(
            self.pacing, on=["rep_id", "metric_key"], how="left"
        )
        detail = detail.assign(
            metric=detail["metric_key"].map(lambda key: metric(key).label),
            unit=detail["metric_key"].map(lambda key: metric(key).unit),
            attainment=detail["attainment"].where(detail["attainment"] != float("inf")),
        )
        return detail[["metric", "unit", "actual", "target", "attainment", "credited",
                       "effective_weight", "points", "expected", "status", "note"]]  # fmt: skip


def _history(
    bind: Bind, scope: Scope, stored: StoredPlan, plan: Plan
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``history`` and ``employment`` of ``plan_warnings``: the actuals in the
    :data:`HISTORY_PERIODS` periods before the plan's, each of the plan's length (whole months
    for a plan of whole months, ``analytics.periods.next_period``), of the people of the plan's
    role and team employed then, and their working days employed in each.
    """

    def period_actuals(back: int) -> Callable[[Bind], tuple[pd.DataFrame, pd.DataFrame]]:
        start, end = next_period(stored.period_start, stored.period_end, -back)

        def read(b: Bind) -> tuple[pd.DataFrame, pd.DataFrame]:
            staff = _staff(b, scope, stored, start, end, end)
            actuals = _actuals(b, scope, plan, _filters(stored, start, end),
                               staff["rep_id"].tolist())  # fmt: skip
            employed = _employment(staff, int(working_days(start, end)))
            return actuals.assign(period=start), employed.assign(period=start)

        return read

    frames = gather(bind, {back: period_actuals(back) for back in range(HISTORY_PERIODS, 0, -1)})
    history, employment = zip(*frames.values(), strict=True)
    return pd.concat(history, ignore_index=True), pd.concat(employment, ignore_index=True)


def _signals(
    bind: Bind, scope: Scope, stored: StoredPlan, as_of: date, reps: list[int]
) -> pd.DataFrame:
    """Gaming signals: activities and won deals per rep and month over the last
    :data:`GAMING_MONTHS` months before ``as_of``, the activities compared per working day
    employed (the running month is only partly over), and calls in the plan period so far.
    """
    first = shift_months((as_of - timedelta(days=1)).replace(day=1), 1 - GAMING_MONTHS)
    bounds = [(shift_months(first, step), shift_months(first, step + 1)) for step in
              range(GAMING_MONTHS)]  # fmt: skip
    queries: dict[object, Callable[[Bind], pd.DataFrame]] = {
        start: _month_counts(stored, scope, start, min(end, as_of))
        for start, end in bounds
        if min(end, as_of) > start
    }
    if as_of > stored.period_start:  # else the plan has not started: no calls of its period
        queries["calls"] = lambda b: call_counts(
            b, _filters(stored, stored.period_start, as_of), scope
        )
    if as_of > first:
        queries["days"] = lambda b: _month_days(b, scope, stored, first, as_of)
    read = gather(bind, queries)
    calls = read.pop("calls", None)
    days = read.pop("days", None)
    by_month = pd.concat(read.values(), ignore_index=True) if read else pd.DataFrame(
        {"rep_id": [], "period": [], "activities": [], "conversions": []}
    )  # fmt: skip
    if days is not None:
        by_month = by_month.merge(days, on=["rep_id", "period"], how="left")
        by_month["working_days"] = by_month["working_days"].fillna(0)
    if calls is not None:
        calls = calls[calls["rep_id"].isin(reps)]
    return gaming_signals(by_month[by_month["rep_id"].isin(reps)], calls)


def _month_days(
    bind: Bind, scope: Scope, stored: StoredPlan, start: date, end: date
) -> pd.DataFrame:
    """Each employee's working days employed per calendar month of ``[start, end)``:
    ``rep_id``, ``period`` (the month's first day, a date), ``working_days``.
    """
    spans = employment_spans(bind, _filters(stored, start, end), scope)
    days = rep_working_days(spans, start, end, unit="month")
    return pd.DataFrame(
        {
            "rep_id": days["employee_id"].astype("int64"),
            "period": days["period"].dt.date,
            "working_days": days["working_days"],
        }
    )


def _month_counts(
    stored: StoredPlan, scope: Scope, start: date, end: date
) -> Callable[[Bind], pd.DataFrame]:
    """A query of the done activities and won deals per rep in ``[start, end)``."""
    month = _filters(stored, start, end)

    def counts(bind: Bind) -> pd.DataFrame:
        done = activities_by_rep_type_period(bind, month, scope, unit="month").dropna(
            subset=["employee_id"]
        )
        activities = done.groupby(done["employee_id"].astype("int64"))["activities"].sum()
        closed = closed_deal_stats(bind, month, scope, group="rep_id", binned=False)
        won = win_rates(closed, by="group")
        conversions = won.set_index(won["group"].astype("int64"))["won"]
        return (
            pd.DataFrame({"activities": activities, "conversions": conversions})
            .fillna(0)
            .rename_axis("rep_id")
            .reset_index()
            .assign(period=start)
        )

    return counts


def _pacing(items: pd.DataFrame, reps: pd.DataFrame, elapsed: int, total: int) -> pd.DataFrame:
    """Pacing of every scored item: metrics that accumulate over the period (won revenue, new
    deals) are paced linearly, over the working days each rep is employed in the period
    (``reps``: :func:`plan_reps`; the period's ``elapsed`` of ``total`` for the others);
    levels (rates, snapshots) hold their target all along.
    """
    rows = []
    accumulates = items["metric_key"].map(lambda key: metric(key).accumulates)
    days = reps.set_index("rep_id")
    worked = items["rep_id"].map(days["worked_days"]).fillna(0)
    own = worked > 0
    rep_elapsed = items["rep_id"].map(days["elapsed_days"]).where(own, elapsed)
    rep_total = worked.where(own, total)
    for cumulative in (True, False):
        part = items[accumulates == cumulative]
        if part.empty:
            continue
        paced = pacing(part["actual"], part["target"], rep_elapsed[part.index],
                       rep_total[part.index], part["higher_is_better"],
                       cumulative=cumulative)  # fmt: skip
        rows.append(part[["rep_id", "metric_key"]].join(paced[["expected", "status"]]
                                                          .set_axis(part.index)))  # fmt: skip
    if not rows:
        return pd.DataFrame({"rep_id": [], "metric_key": [], "expected": [], "status": []})
    return pd.concat(rows).sort_index()


def _warnings(
    stored: StoredPlan, plan: Plan, history: pd.DataFrame, employment: pd.DataFrame
) -> list[PlanWarning]:
    """The plan's sanity warnings (``plan_warnings`` on the earlier periods, targets prorated
    as in the scorecards), then one per service item of a plan that scores sales reps.
    """
    labels = {key: metric(key).label for key in plan.keys}
    warnings = plan_warnings(plan, history, labels=labels, employment=employment,
                             prorated=_prorated(plan))  # fmt: skip
    if plan_role(stored) == EmployeeRole.SERVICE:
        return warnings
    return warnings + [
        PlanWarning(
            key,
            "service_item_for_reps",
            _(
                "{item}: a service metric in a plan with sales items, so it counts the "
                "tickets assigned to each sales rep (the plan scores the reps). Score the "
                "service agents with a plan of service metrics only."
            ).format(item=_(labels[key])),
        )
        for key in plan.keys
        if metric(key).section == SERVICE_SECTION
    ]


def incentive_report(bind: Bind, scope: Scope, stored: StoredPlan, today: date) -> IncentiveReport:
    """Score the plan version ``stored`` for the reps ``scope`` may see, on the CRM data.

    Parameters
    ----------
    bind : Engine or Connection
        The CRM database.
    scope : Scope
        Who asks; ``stored`` is the version as this scope reads it
        (``reports.plan_store.load_plan``: a rep's only their own targets).
    stored : StoredPlan
        The plan version to score.
    today : date
        Actuals are counted up to and including this day (within the plan's period).

    Raises
    ------
    PlanError
        When the plan cannot be scored.
    """
    plan = to_plan(stored)
    as_of = min(max(today + timedelta(days=1), stored.period_start), stored.period_end)
    reps = plan_reps(bind, scope, stored, as_of)
    ids = reps["rep_id"].astype(int).tolist()
    filters = _filters(stored, stored.period_start, stored.period_end, as_of)
    queries: dict[str, Callable[[Bind], Any]] = {
        "actuals": lambda b: _actuals(b, scope, plan, filters, ids),
        "currency": lambda b: main_currency(b, scope),
    }
    design = sees_plan_design(scope)
    if design:  # the earlier periods' and the signals' counts, with the actuals at once
        queries["history"] = lambda b: _history(b, scope, stored, plan)
        queries["signals"] = lambda b: _signals(b, scope, stored, as_of, ids)
    read = gather(bind, queries)
    elapsed = int(working_days(stored.period_start, as_of))
    total = int(working_days(stored.period_start, stored.period_end))
    prorated = _prorated(plan)
    card = scorecard(read["actuals"], plan, reps=ids, employment=_employment(reps, total),
                     prorated=prorated)  # fmt: skip
    names = reps.set_index("rep_id")["name"]
    card = Scorecard(
        items=card.items.assign(name=card.items["rep_id"].map(names)),
        summary=card.summary.assign(name=card.summary["rep_id"].map(names)),
    )
    return IncentiveReport(
        plan=stored,
        as_of=as_of,
        elapsed_days=elapsed,
        total_days=total,
        reps=reps,
        scorecard=card,
        pacing=_pacing(card.items, reps, elapsed, total),
        warnings=_warnings(stored, plan, *read["history"]) if design else [],
        signals=read["signals"] if design else gaming_signals(pd.DataFrame(columns=_ACTIVITY)),
        currency=read["currency"][0],
    )


def simulate(report: IncentiveReport, items: Sequence[Mapping[str, Any]]) -> WhatIf:
    """The reps' scores and bonuses if the plan had ``items`` (changed weights or targets), on
    the same actuals — nothing is stored.

    Raises
    ------
    PlanError
        When the changed items cannot be scored (e.g. a negative weight), with what to fix.
    """
    try:
        changed = tuple(StoredItem(**dict(item)) for item in items)
    except TypeError as error:
        raise PlanError(_("The changed plan is incomplete: {error}").format(error=error)) from error
    trial = to_plan(replace(report.plan, items=changed))
    plan = to_plan(report.plan)
    actuals = report.scorecard.items[["rep_id", "metric_key", "actual"]]
    reps = report.scorecard.summary["rep_id"].tolist()
    return what_if(actuals, plan, trial, reps=reps, prorated=_prorated(plan, trial),
                   employment=_employment(report.reps, report.total_days))  # fmt: skip
