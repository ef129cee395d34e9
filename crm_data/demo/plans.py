"""Demo incentive plans: one per team for the current quarter, so that the Incentives page shows
scorecards without anyone writing a plan first.

The current quarter is the calendar quarter of the demo's last day (``end - 1 day``).  Each
team's plan is saved by its head and scores four metrics of the catalogue (by key: this layer
does not read the catalogue): won revenue (40 %, the team's median quota of the quarter as the
target, credited from half of it, accelerated above 100 % up to a cap of 150 %), won deals and
activities per working day (20 % each, the team's median rep of the quarter before plus 10 %),
and follow-up compliance (20 %, 85 %).  Targets near the median rep's results spread the scores
on both sides of 100 %.

Plans are kept across a reseed, so a team that already has a plan of the demo's name for that
quarter (an earlier seed's, perhaps edited since) gets no second one.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from access.roles import EmployeeRole
from crm_data.filters import Filters, Scope
from crm_data.plans import StoredItem, list_plans, save_plan
from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.activity_kpis import employment_spans
from crm_data.queries.funnel_stats import closed_deal_stats
from crm_data.queries.tables import TEAMS
from crm_data.schema import Quota

__all__ = ["ON_TARGET_BONUS", "UPLIFT", "make_plans"]

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


def make_plans(engine: sa.Engine, end: date) -> int:
    """Save one plan per team for the quarter of ``end - 1 day`` (the demo's last day), each by
    the team's head (by the admin for a team without one), except for a team that has a plan
    of the same name and period already.

    Returns
    -------
    int
        The number of plans saved.
    """
    start, stop = _quarter(end - timedelta(days=1))
    before, _ = _quarter(start - timedelta(days=1))
    targets = _team_targets(engine, before, start)
    with engine.connect() as conn:
        teams = conn.execute(
            sa.select(TEAMS.c.id, TEAMS.c.name, TEAMS.c.head_id).order_by(TEAMS.c.id)
        ).all()
        quotas = pd.read_sql(
            sa.select(QUOTAS.c.employee_id, QUOTAS.c.revenue_target).where(
                QUOTAS.c.period_start == start
            ),
            conn,
        )
    spans = employment_spans(engine, Filters(start, stop), Scope.everyone())
    quota = quotas.merge(spans, on="employee_id").groupby("team_id")["revenue_target"].median()
    label = f"Q{(start.month - 1) // 3 + 1} {start.year}"
    there = list_plans(engine, Scope.everyone(), period=(start, stop))
    there = there[there["period_start"].dt.date.eq(start) & there["period_end"].dt.date.eq(stop)]
    taken = set(zip(there["team_id"], there["name"], strict=True))
    saved = 0
    for team_id, name, head_id in teams:
        if (team_id, f"{name} {label}") in taken:
            continue
        typical = targets.reindex([team_id]).iloc[0]
        scope = Scope.everyone() if head_id is None else Scope.head(team_id, head_id)
        save_plan(
            engine, scope, None, name=f"{name} {label}", period_start=start, period_end=stop,
            team_id=team_id, on_target_bonus=ON_TARGET_BONUS,
            items=_items(quota.get(team_id, np.nan), typical["won_deals"],
                         typical["activities_per_day"]),
        )  # fmt: skip
        saved += 1
    return saved
