"""One rep against their team: the rep profile of the Performance page.

The team is the rep's own team (everyone, for a rep without a team); the rep's numbers are the
team's queries narrowed to the rep (``Filters.reps``), so both sides are counted the same way.
Team figures are aggregates: totals, pooled rates, or averages per rep.  Who may open whose
profile is :func:`visible_rep`: a rep their own, a head their team's reps, the other roles
anyone; the deal and client lists are read in the viewer's own scope.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from access.roles import EmployeeRole, Role
from analytics.clients import forgotten_clients
from analytics.funnel import reached, time_in_stage
from crm_data.filters import Filters, Scope
from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.currency import main_currency
from crm_data.queries.customer_contacts import customer_contacts_at
from crm_data.queries.deal_flow import deal_flow_by_month
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import funnel_facts, funnel_stages, stage_durations
from crm_data.queries.people import filter_options, people
from crm_data.queries.pipeline import stuck_deal_candidates
from reports.activity import call_list
from reports.names import names_by_id
from reports.performance import quota_attainment, weak_spots
from reports.rep_metrics import closed_table
from reports.stuck import flag_stuck, stuck_list

__all__ = [
    "PROFILE_ROWS",
    "TREND_MONTHS",
    "RepProfile",
    "profile_choices",
    "rep_profile",
    "visible_rep",
]

#: Rows kept of the stuck-deal and forgotten-client lists.
PROFILE_ROWS = 200
#: Months of the monthly trend (ending with the period).
TREND_MONTHS = 12


@dataclass(frozen=True)
class RepProfile:
    """One rep against their team.

    Attributes
    ----------
    rep_id : int
    name, team : str
        The rep's name and team ("" without a team).
    team_id : int or None
        The rep's team (None without one).
    team_reps : int
        Reps of the team employed at the period end (what "per rep" divides by).
    funnel : DataFrame
        Per step: ``stage``, ``position``, ``rep_reached``, ``rep_next``, ``team_next``
        (next-step conversions), ``rep_cumulative``, ``team_cumulative``.
    time_in_stage : DataFrame
        Per open stage: ``stage``, ``rep_median``, ``team_median`` (Kaplan–Meier days),
        ``rep_visits``.
    activity_mix : DataFrame
        Per activity type: ``type``, ``rep_activities``, ``rep_share``, ``team_share``.
    trend : DataFrame
        Per month: ``month``, ``rep_won_amount``, ``team_won_amount`` (per rep), ``rep_won``,
        ``rep_lost``, ``rep_win_rate``, ``team_win_rate``.
    closed : DataFrame
        The deals closed in the period, index ``rep`` and ``team``: ``closed``, ``won``,
        ``won_amount``, ``win_rate``, ``average_won_amount``, ``closed_per_rep`` (the team's
        ``won_amount`` and ``closed_per_rep`` are per rep: :attr:`team_reps`).
    weak_spot : Series or None
        The rep's row of :func:`reports.performance.weak_spots` as the viewer's leaderboard
        has it (against the rest of the reps the viewer compares).
    quota : Series or None
        The rep's row of :func:`reports.performance.quota_attainment`.
    stuck, forgotten : DataFrame
        The rep's stuck deals (``reports.stuck.STUCK_COLUMNS``) and forgotten clients (the call
        list), the largest first; ``stuck_count``, ``forgotten_count`` count them all.
    currency : str or None
    """

    rep_id: int
    name: str
    team: str
    team_id: int | None
    team_reps: int
    funnel: pd.DataFrame
    time_in_stage: pd.DataFrame
    activity_mix: pd.DataFrame
    trend: pd.DataFrame
    closed: pd.DataFrame
    weak_spot: pd.Series | None
    quota: pd.Series | None
    stuck: pd.DataFrame
    stuck_count: int
    forgotten: pd.DataFrame
    forgotten_count: int
    currency: str | None


def visible_rep(bind: Bind, scope: Scope, rep_id: int | None) -> int | None:
    """``rep_id`` if ``scope`` may open that rep's profile, else the scope's own rep (a rep) or
    ``None`` (a head asking for someone outside the team, an unknown id).
    """
    if scope.role == Role.REP:
        return scope.employee_id
    if rep_id is None:
        return None
    staff = people(bind).set_index("employee_id")
    if rep_id not in staff.index:
        return None
    if scope.role == Role.HEAD:
        team_id = staff["team_id"].astype("float64").loc[rep_id]  # NaN: in no head's team
        if team_id != scope.team_id:
            return None
    return rep_id


def profile_choices(bind: Bind, scope: Scope) -> dict[int, str]:
    """``{employee id: name}`` of the sales staff whose profile ``scope`` may open (a rep:
    themselves; a head: their team's), in name order.
    """
    staff = filter_options(bind, scope).reps
    return names_by_id(staff, "employee_id")


def _row(frame: pd.DataFrame, rep_id: int) -> pd.Series | None:
    rows = frame[frame["rep_id"] == rep_id]
    return None if rows.empty else rows.iloc[0]


def _funnel(bind: Bind, filters: Filters, team: Scope, rep_id: int) -> pd.DataFrame:
    stages = funnel_stages(bind, filters.pipeline, team)
    facts = funnel_facts(bind, filters, team, group="rep_id")
    mine = reached(facts[facts["group"] == str(rep_id)], stages)
    everyone = reached(facts.drop(columns="group"), stages)
    return pd.DataFrame(
        {
            "stage": mine["stage"],
            "position": mine["position"],
            "rep_reached": mine["reached"],
            "rep_next": mine["next_conversion"],
            "team_next": everyone["next_conversion"],
            "rep_cumulative": mine["cumulative_conversion"],
            "team_cumulative": everyone["cumulative_conversion"],
        }
    )


def _time_in_stage(bind: Bind, filters: Filters, team: Scope, rep_id: int) -> pd.DataFrame:
    stages = funnel_stages(bind, filters.pipeline, team)
    durations = stage_durations(bind, filters, team, group="rep_id")
    everyone = durations.drop(columns="group")
    mine = everyone[durations["group"] == str(rep_id)]
    both = [time_in_stage(rows, stages, probs=(0.5,)) for rows in (mine, everyone)]
    keys = ["stage_id", "stage", "position", "visits", "finished", "censored"]
    median = next(c for c in both[1].columns if c not in keys)
    table = stages[["stage_id", "stage"]]
    for frame, prefix in zip(both, ("rep", "team"), strict=True):
        columns = {median: f"{prefix}_median", "visits": f"{prefix}_visits"}
        picked = frame[["stage_id", *columns]].rename(columns=columns)
        table = table.merge(picked, on="stage_id", how="left")
    return table[["stage", "rep_median", "team_median", "rep_visits"]].reset_index(drop=True)


def _activity_mix(bind: Bind, filters: Filters, team: Scope, rep_id: int) -> pd.DataFrame:
    done = activities_by_rep_type_period(bind, filters, team, unit="year")
    by_type = done.groupby("type")["activities"].sum()
    mine = done[done["employee_id"] == rep_id].groupby("type")["activities"].sum()
    mine = mine.reindex(by_type.index, fill_value=0)
    total = mine.sum()
    return pd.DataFrame(
        {
            "type": by_type.index,
            "rep_activities": mine.to_numpy().astype("int64"),
            "rep_share": (mine / total).to_numpy() if total else np.nan,
            "team_share": (by_type / by_type.sum()).to_numpy(),
        }
    ).reset_index(drop=True)


def _month_start(day: date, back: int) -> date:
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def _trend(bind: Bind, filters: Filters, team: Scope, rep_id: int, reps: int) -> pd.DataFrame:
    end = filters.end
    start = _month_start(end if end.day == 1 else _month_start(end, -1), TREND_MONTHS)
    window = filters.shifted(start, end)
    months = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="MS", inclusive="left")

    def monthly(narrowed: Filters) -> pd.DataFrame:
        flow = deal_flow_by_month(bind, narrowed, team).set_index("month")
        return flow.reindex(months, fill_value=0)

    mine, everyone = monthly(replace(window, reps=(rep_id,))), monthly(window)
    with np.errstate(divide="ignore", invalid="ignore"):
        rep_rate = mine["won"] / (mine["won"] + mine["lost"])
        team_rate = everyone["won"] / (everyone["won"] + everyone["lost"])
    return pd.DataFrame(
        {
            "month": months,
            "rep_won_amount": mine["won_amount"].to_numpy(dtype="float64"),
            "team_won_amount": everyone["won_amount"].to_numpy(dtype="float64") / max(reps, 1),
            "rep_won": mine["won"].to_numpy(dtype="int64"),
            "rep_lost": mine["lost"].to_numpy(dtype="int64"),
            "rep_win_rate": rep_rate.to_numpy(dtype="float64"),
            "team_win_rate": team_rate.to_numpy(dtype="float64"),
        }
    )


def _closed(bind: Bind, filters: Filters, team: Scope, rep_id: int, reps: int) -> pd.DataFrame:
    everyone = closed_table(bind, filters, team)
    mine = everyone.reindex([rep_id]).fillna(0)
    sums = everyone[["closed", "won", "won_amount"]].sum()
    rows = pd.DataFrame(
        {
            "closed": [mine["closed"].iloc[0], sums["closed"]],
            "won": [mine["won"].iloc[0], sums["won"]],
            "won_amount": [mine["won_amount"].iloc[0], sums["won_amount"] / max(reps, 1)],
        },
        index=pd.Index(["rep", "team"]),
    ).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["win_rate"] = [mine["won"].iloc[0] / mine["closed"].iloc[0],
                            sums["won"] / sums["closed"]]  # fmt: skip
        rows["average_won_amount"] = [mine["won_amount"].iloc[0] / mine["won"].iloc[0],
                                      sums["won_amount"] / sums["won"]]  # fmt: skip
    rows["closed_per_rep"] = [mine["closed"].iloc[0], sums["closed"] / max(reps, 1)]
    return rows


def _lists(
    bind: Bind, filters: Filters, scope: Scope, rep_id: int
) -> tuple[pd.DataFrame, int, pd.DataFrame, int]:
    """The rep's stuck deals and forgotten clients, read in the viewer's scope."""
    mine = replace(filters, reps=(rep_id,))
    flagged = flag_stuck(bind, mine, scope, stuck_deal_candidates(bind, mine, scope))
    flagged = flagged.sort_values("amount", ascending=False, kind="stable")
    stuck = stuck_list(bind, scope, flagged, PROFILE_ROWS)
    as_of = filters.as_of or filters.end
    contacts = customer_contacts_at(bind, mine, scope, [as_of], named=as_of)[as_of]
    forgotten = call_list(forgotten_clients(contacts, mine.as_of_ts))
    return stuck, int(flagged["stuck"].sum()), forgotten.head(PROFILE_ROWS), len(forgotten)


def rep_profile(bind: Bind, filters: Filters, scope: Scope, rep_id: int) -> RepProfile:
    """The profile of ``rep_id`` against their team, as ``scope`` may see it.

    Raises
    ------
    PermissionError
        When ``scope`` may not open that rep's profile (:func:`visible_rep`).
    """
    if visible_rep(bind, scope, rep_id) != rep_id:
        raise PermissionError(f"This login may not open the profile of employee {rep_id}.")
    staff = people(bind)
    me = staff[staff["employee_id"] == rep_id].iloc[0]
    team_id = me["team_id"]
    team = Scope.everyone() if pd.isna(team_id) else Scope.head(int(team_id))
    # the team's reps still employed at the period end: what "per rep" divides by
    employed = staff["left_at"].isna() | (staff["left_at"] >= pd.Timestamp(filters.end))
    members = staff[(staff["team_id"] == team_id) & (staff["role"] == EmployeeRole.REP) & employed]
    narrowed = replace(filters, reps=(), teams=())
    stuck, stuck_count, forgotten, forgotten_count = _lists(bind, filters, scope, rep_id)
    return RepProfile(
        rep_id=rep_id,
        name=names_by_id(staff, "employee_id")[rep_id],
        team="" if pd.isna(me["team"]) else str(me["team"]),
        team_id=None if pd.isna(team_id) else int(team_id),
        team_reps=max(len(members), 1),
        funnel=_funnel(bind, narrowed, team, rep_id),
        time_in_stage=_time_in_stage(bind, narrowed, team, rep_id),
        activity_mix=_activity_mix(bind, narrowed, team, rep_id),
        trend=_trend(bind, narrowed, team, rep_id, max(len(members), 1)),
        closed=_closed(bind, narrowed, team, rep_id, max(len(members), 1)),
        weak_spot=_row(weak_spots(bind, filters, scope), rep_id),  # as the leaderboard says
        quota=_row(quota_attainment(bind, narrowed, team), rep_id),
        stuck=stuck,
        stuck_count=stuck_count,
        forgotten=forgotten,
        forgotten_count=forgotten_count,
        currency=main_currency(bind, scope)[0],
    )
