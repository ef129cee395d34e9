"""Demo incentive plans: one per team for the current quarter, so that the Incentives page shows
scorecards without anyone writing a plan first.

The current quarter is the calendar quarter of the demo's last day (``end - 1 day``).  Each
team's plan is saved by its head and scores four metrics of the catalogue (by key: this layer
does not read the catalogue): won revenue (40 %, the team's median quota of the quarter as the
target, credited from half of it, accelerated above 100 % up to a cap of 150 %), won deals and
activities per working day (20 % each, the team's median rep of the quarter before plus 10 %),
and follow-up compliance (20 %, 85 %).  Targets near the median rep's results spread the scores
on both sides of 100 %.

The plans are stored in the app database (:mod:`appdb.plans`), which a reseed of the CRM
database does not touch, so a team that already has a plan of the demo's name for that quarter
(an earlier seed's, perhaps edited since) gets no second one.  The app makes them after it seeds
the demo and, for a demo seeded on the command line, when it starts (:func:`ensure_demo_plans`);
``python -m appdb demo-plans`` makes them by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from access.roles import EmployeeRole
from appdb.databases import Databases
from appdb.plans import StoredItem, list_plans, save_plan
from crm_data.demo.truth import GENERATOR_KEY, load_truth
from crm_data.filters import Filters, Scope
from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.activity_kpis import employment_spans
from crm_data.queries.funnel_stats import closed_deal_stats
from crm_data.queries.tables import TEAMS
from crm_data.schema import Quota

__all__ = ["ON_TARGET_BONUS", "UPLIFT", "ensure_demo_plans", "make_plans"]

#: The bonus of every demo plan at a score of 100 %.
ON_TARGET_BONUS = 5_000.0
#: Targets of won deals and activities: the median rep of the quarter before, raised by this.
UPLIFT = 1.1
QUOTAS: sa.Table = Quota.__table__  # type: ignore[assignment]


def _quarter(day: date) -> tuple[date, date]:
    """``[start, end)`` of the calendar quarter holding ``day``."""
    quarter = pd.Period(day, freq="Q")
    return quarter.start_time.date(), (quarter + 1).start_time.date()


def _team_targets(engine: sa.Engine, start: date, end: date) -> pd.DataFrame:
    """Per team: the targets of won deals and activities per working day, from the median of
    the reps employed for the whole of ``[start, end)`` raised by :data:`UPLIFT` (whole deals,
    half activities).
    """
    period, everyone = Filters(start, end), Scope.everyone()
    spans = employment_spans(engine, period, everyone)
    whole = spans[
        (spans["role"] == EmployeeRole.REP)
        & (spans["hired_at"] <= pd.Timestamp(start))
        & (spans["left_at"].isna() | (spans["left_at"] >= pd.Timestamp(end)))
    ].set_index("employee_id")
    closed = closed_deal_stats(engine, period, everyone, group="rep_id", binned=False)
    won = closed[closed["status"] == "won"]
    done = activities_by_rep_type_period(engine, period, everyone, unit="quarter").dropna(
        subset=["employee_id"]
    )
    per_rep = pd.DataFrame(
        {
            "team_id": whole["team_id"],
            "won_deals": won.groupby(won["group"].astype("int64"))["deals"].sum(),
            "activities": done.groupby(done["employee_id"].astype("int64"))["activities"].sum(),
        }
    ).loc[whole.index]
    per_rep = per_rep.fillna({"won_deals": 0, "activities": 0})
    per_rep["activities_per_day"] = per_rep["activities"] / np.busday_count(start, end)
    median = UPLIFT * per_rep.groupby("team_id")[["won_deals", "activities_per_day"]].median()
    return pd.DataFrame(
        {
            "won_deals": median["won_deals"].round().clip(lower=1),
            "activities_per_day": (2 * median["activities_per_day"]).round().div(2).clip(lower=0.5),
        }
    )


def _items(won_revenue: float, won_deals: float, per_day: float) -> list[StoredItem]:
    """The four items of a team's plan with its targets (NaN: no target, the item left out)."""
    return [
        StoredItem("won_revenue", 0.4, target=won_revenue, threshold=0.5, cap=1.5,
                   accelerator=1.5),
        StoredItem("won_deals", 0.2, target=won_deals, cap=1.5),
        StoredItem("activities_per_day", 0.2, target=per_day, cap=1.2),
        StoredItem("followup_compliance", 0.2, target=0.85, threshold=0.5, cap=1.1),
    ]  # fmt: skip


def make_plans(databases: Databases, end: date) -> int:
    """Save one plan per team for the quarter of ``end - 1 day`` (the demo's last day), each by
    the team's head (by the admin for a team without one), except for a team that has a plan
    of the same name and period already.

    Parameters
    ----------
    databases : Databases
        The app database, where the plans are saved, and the demo's CRM database, whose teams,
        quotas and results set the targets (only read).
    end : date
        The demo's exclusive end (``SeedReport.end``).

    Returns
    -------
    int
        The number of plans saved.
    """
    crm = databases.crm
    start, stop = _quarter(end - timedelta(days=1))
    label = f"Q{(start.month - 1) // 3 + 1} {start.year}"
    with crm.connect() as conn:
        teams = conn.execute(
            sa.select(TEAMS.c.id, TEAMS.c.name, TEAMS.c.head_id).order_by(TEAMS.c.id)
        ).all()
    there = list_plans(databases, Scope.everyone(), period=(start, stop))
    there = there[there["period_start"].dt.date.eq(start) & there["period_end"].dt.date.eq(stop)]
    taken = set(zip(there["team_id"], there["name"], strict=True))
    missing = [team for team in teams if (team.id, f"{team.name} {label}") not in taken]
    if not missing:
        return 0
    before, _ = _quarter(start - timedelta(days=1))
    targets = _team_targets(crm, before, start)
    quotas = pd.read_sql(
        sa.select(QUOTAS.c.employee_id, QUOTAS.c.revenue_target).where(
            QUOTAS.c.period_start == start
        ),
        crm,
    )
    spans = employment_spans(crm, Filters(start, stop), Scope.everyone())
    quota = quotas.merge(spans, on="employee_id").groupby("team_id")["revenue_target"].median()
    for team_id, name, head_id in missing:
        typical = targets.reindex([team_id]).iloc[0]
        scope = Scope.everyone() if head_id is None else Scope.head(team_id, head_id)
        save_plan(
            databases, scope, None, name=f"{name} {label}", period_start=start, period_end=stop,
            team_id=team_id, on_target_bonus=ON_TARGET_BONUS,
            items=_items(quota.get(team_id, np.nan), typical["won_deals"],
                         typical["activities_per_day"]),
        )  # fmt: skip
    return len(missing)


def ensure_demo_plans(databases: Databases) -> int | None:
    """The demo's plans (:func:`make_plans`) when the CRM database is a demo and some team lacks
    its plan for the demo's last quarter (a demo seeded by ``python -m crm_data seed``, which
    does not open the app database).

    Returns
    -------
    int or None
        The number of plans saved; None when the CRM database is not a demo (nothing done).
    """
    generator = load_truth(databases.crm).get(GENERATOR_KEY)
    if generator is None:
        return None
    return make_plans(databases, date.fromisoformat(str(generator["end"])))
