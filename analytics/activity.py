"""Activity KPIs per rep, team and period (METRICS.md "Non-financial activity KPIs"): activities
per working day, follow-up compliance and the overdue list, next-step coverage, active
conversations, data discipline, negotiations, lead response, reactivated and new-direction
clients.

Pure functions over the small frames of ``crm_data.queries``:

* ``activities`` (``activities_by_rep_type_period``): ``employee_id`` Int64, ``type``,
  ``period``, ``activities`` int;
* ``employment`` (``employment_spans``): ``employee_id``, ``team_id``, ``hired_at``,
  ``left_at`` (NaT while employed; the first day no longer employed);
* ``stats`` (``followup_stats``): ``employee_id``, ``due``, ``done_on_time``, ``done_late``,
  ``not_done``, ``pending``, ``overdue``;
* ``candidates`` (``stuck_deal_candidates``): one row per deal open at ``as_of`` with
  ``stage_entered_at``, ``created_at``, ``last_activity_at``, ``next_activity_due_at``, ...;
  ``flagged`` is the same frame after :func:`analytics.stuck.stuck_deals`;
* ``followups`` (``overdue_activities``): activities still planned at ``as_of``;
* ``times`` (``lead_response_times``): ``owner_id``, ``hours`` (0.1-hour bin), ``censored``,
  ``deals``;
* ``contacts`` (``customer_contacts``): the customer frame of :mod:`analytics.clients`;
* ``clients`` (``new_line_clients``): ``account_id``, ``owner_id``, ``region``,
  ``product_line``, ``first_at``.

Grouping: ``by`` is a column name, a sequence of them or None (the whole frame), as in
:mod:`analytics.funnel`; group columns come first in the outputs (sorted, missing values last).
A rate with a zero denominator is NaN, and every rate comes with its sample size (METRICS.md
"Conventions").  An empty input gives an empty frame with the output columns.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from analytics.clients import FORGOTTEN_DAYS, forgotten_clients
from analytics.grouped import (
    as_counts,
    by_columns,
    count_column,
    group_codes,
    money_column,
    require_columns,
    safe_rates,
    tally,
)
from analytics.periods import elapsed_days, quarter_start
from analytics.survival import km_summary

__all__ = [
    "DISCIPLINE_DAYS",
    "SILENCE_DAYS",
    "UNIT_FREQUENCIES",
    "active_conversations",
    "active_conversations_by",
    "activities_per_working_day",
    "activity_staff",
    "data_discipline",
    "followup_compliance",
    "lead_response",
    "negotiations_state",
    "new_direction_clients",
    "next_step_coverage",
    "overdue_followups",
    "reactivated_clients",
    "recently_active",
    "rep_working_days",
]

#: METRICS.md "Data discipline": a deal counts as touched with a change in this many days.
DISCIPLINE_DAYS = 30

#: METRICS.md: a deal is in an active conversation with a done activity in the last 14 days.
SILENCE_DAYS = 14

#: Period units (as in ``crm_data.portable.trunc_date``) and their pandas frequencies.
UNIT_FREQUENCIES: dict[str, str] = {
    "day": "D",
    "week": "W-MON",
    "month": "MS",
    "quarter": "QS-JAN",
    "year": "YS",
}


def _day(value: date | datetime | pd.Timestamp) -> np.datetime64:
    """A date (or the day of a timestamp) as ``datetime64[D]``."""
    return np.datetime64(pd.Timestamp(value).normalize().date(), "D")


def _holidays(holidays: Sequence[date]) -> np.ndarray:
    return np.array([_day(h) for h in holidays], dtype="datetime64[D]")


def _group_sums(
    frame: pd.DataFrame, by_cols: list[str], columns: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Group keys and the integer sums of ``columns`` per group (bincount, no Python loop)."""
    codes, keys = group_codes(frame, by_cols)
    n = len(keys)
    sums = {
        c: as_counts(tally(codes, count_column(frame, c).astype("float64"), n)) for c in columns
    }
    return keys, sums


def _deal_groups(
    candidates: pd.DataFrame, by: str | Sequence[str] | None, reserved: Sequence[str]
) -> tuple[list[str], pd.DataFrame]:
    """The ``by`` columns and the per-deal frame (one row per ``deal_id``)."""
    by_cols = by_columns(candidates, by, reserved=reserved)
    require_columns(candidates, ["deal_id"], "candidates")
    return by_cols, candidates.drop_duplicates("deal_id")


def _share_frame(
    deals: pd.DataFrame,
    by_cols: list[str],
    hit: np.ndarray,
    names: tuple[str, str, str],
) -> pd.DataFrame:
    """``[by…]``, total deals, deals with ``hit``, their share (NaN without deals)."""
    codes, keys = group_codes(deals, by_cols)
    n = len(keys)
    total = as_counts(tally(codes, np.ones(len(deals)), n))
    hits = as_counts(tally(codes, hit.astype("float64"), n))
    total_name, hit_name, share_name = names
    return keys.assign(
        **{total_name: total, hit_name: hits, share_name: safe_rates(hits, total)}
    ).astype({total_name: "int64", hit_name: "int64", share_name: "float64"})


# ---- working days -----------------------------------------------------------------------------


def _periods(start: date, end: date, unit: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Starts (truncated to the unit) of the periods meeting ``[start, end)`` and their ends."""
    if unit not in UNIT_FREQUENCIES:
        raise ValueError(f"unit must be one of {tuple(UNIT_FREQUENCIES)}, got {unit!r}")
    first = pd.Timestamp(start)
    if unit == "week":
        first -= pd.Timedelta(days=first.dayofweek)
    elif unit != "day":
        first = pd.Timestamp(first.year, 1 if unit == "year" else first.month, 1)
        if unit == "quarter":
            first = pd.Timestamp(quarter_start(first.date()))
    bounds = pd.date_range(
        first, pd.Timestamp(end) + pd.DateOffset(years=1), freq=UNIT_FREQUENCIES[unit]
    )
    starts = bounds[bounds < pd.Timestamp(end)]
    return starts, bounds[1 : len(starts) + 1]


def rep_working_days(
    employment: pd.DataFrame,
    start: date,
    end: date,
    *,
    unit: str | None = None,
    holidays: Sequence[date] = (),
) -> pd.DataFrame:
    """Each employee's working days in ``[start, end)`` within their employment.

    An employee works from ``hired_at`` (included) to ``left_at`` (excluded; NaT: still
    employed); a rep hired mid-period counts the working days from the hiring day on.  With a
    ``unit`` the days are split by calendar period (weeks start on Monday), as
    ``activities_by_rep_type_period`` splits activities; periods are cut at ``start``/``end``.

    Parameters
    ----------
    employment : DataFrame
        ``employee_id``, ``hired_at``, ``left_at`` (``employment_spans``); other columns
        (``team_id``, ``role``) are kept for grouping.
    start, end : date
        The period ``[start, end)``.
    unit : {"day", "week", "month", "quarter", "year"}, optional
        Split by period.
    holidays : sequence of date
        Days that are not working days.

    Returns
    -------
    DataFrame
        The ``employment`` columns, ``period`` datetime64 (with ``unit``; the period's first
        day), ``working_days`` int; one row per employee (and period), in input order.

    Examples
    --------
    >>> staff = pd.DataFrame({"employee_id": [1, 2],
    ...                       "hired_at": pd.to_datetime(["2020-01-01", "2024-01-15"]),
    ...                       "left_at": pd.to_datetime([None, None])})
    >>> rep_working_days(staff, date(2024, 1, 1), date(2024, 2, 1))["working_days"].tolist()
    [23, 13]
    """
    require_columns(employment, ["employee_id", "hired_at", "left_at"], "employment")
    if unit is None:
        rows = employment.reset_index(drop=True)
        lo = np.full(len(rows), _day(start))
        hi = np.full(len(rows), _day(end))
    else:
        starts, ends = _periods(start, end, unit)
        n_periods = len(starts)
        rows = employment.iloc[np.repeat(np.arange(len(employment)), n_periods)].reset_index(
            drop=True
        )
        rows["period"] = np.tile(starts.to_numpy(dtype="datetime64[us]"), len(employment))
        lo = np.maximum(
            np.tile(starts.to_numpy(dtype="datetime64[D]"), len(employment)), _day(start)
        )
        hi = np.minimum(np.tile(ends.to_numpy(dtype="datetime64[D]"), len(employment)), _day(end))
    hired = rows["hired_at"].to_numpy(dtype="datetime64[D]")
    left = rows["left_at"].to_numpy(dtype="datetime64[D]")
    lo = np.where(np.isnat(hired), lo, np.maximum(lo, hired))
    hi = np.where(np.isnat(left), hi, np.minimum(hi, left))
    counts = np.busday_count(lo, np.maximum(hi, lo), holidays=_holidays(holidays))
    return rows.assign(working_days=counts.astype("int64"))


def activity_staff(
    working: pd.DataFrame, activities: pd.DataFrame, always: Collection[str]
) -> pd.DataFrame:
    """The rows of ``working`` whose employees count in activities per working day.

    Every employee of a role in ``always`` (the reps) employed in the period counts (a rep who
    logged nothing lowers the rate, shown with 0), and anyone else who logged at least one
    activity in it (a head, typically).  The
    working days of service agents, analysts and executives who log no activity are left out:
    with them, a company-wide rate would divide the sales staff's activities by days nobody
    could have filled with them.

    Parameters
    ----------
    working : DataFrame
        :func:`rep_working_days` with ``employee_id``, ``role`` and ``working_days``.
    activities : DataFrame
        ``employee_id`` and ``activities`` (done activities in the period).
    always : collection of str
        The ``role`` values that count even without an activity
        (``reports.activity`` passes :data:`access.roles.EmployeeRole.REP`).

    Returns
    -------
    DataFrame
        The kept rows of ``working``, in its order.

    Examples
    --------
    >>> work = pd.DataFrame({"employee_id": [1, 2, 3, 4], "working_days": [23, 23, 23, 23],
    ...                      "role": ["rep", "rep", "head", "service"]})
    >>> acts = pd.DataFrame({"employee_id": [1, 3], "activities": [40, 6]})
    >>> activity_staff(work, acts, always={"rep"})["employee_id"].tolist()
    [1, 2, 3]
    """
    require_columns(working, ["employee_id", "role"], "working")
    require_columns(activities, ["employee_id", "activities"], "activities")
    logged = activities.loc[count_column(activities, "activities") > 0, "employee_id"]
    keep = working["role"].isin(list(always)) | working["employee_id"].isin(logged.dropna())
    return working[keep.to_numpy(bool)]


def activities_per_working_day(
    activities: pd.DataFrame,
    working: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "employee_id",
) -> pd.DataFrame:
    """METRICS.md "Activities done" per working day: activities / working days.

    Activities are attributed to their employee; a team's rate is its activities over the
    summed working days of its members (rep-days), so a rep hired mid-period weighs by the
    days worked.  Employees without activities count with 0 (their rate is 0, not missing).

    Parameters
    ----------
    activities : DataFrame
        ``employee_id``, ``activities`` and, to group by them, ``type`` and ``period``.
    working : DataFrame
        :func:`rep_working_days`: ``employee_id``, ``working_days`` and, to group by them,
        ``period`` (same unit as ``activities``) and attributes such as ``team_id``.
    by : str or sequence of str, optional
        Group columns: ``type`` (from ``activities``) and columns of ``working``
        (``employee_id``, ``team_id``, ``period``, ...).  None: everyone together.

    Returns
    -------
    DataFrame
        ``[by…]``, ``activities`` int, ``working_days`` int, ``per_working_day`` float
        (NaN without working days).  With ``type``, every group of ``working`` is listed
        with every type found.  Activities of employees missing from ``working`` keep their
        group (with NA attributes) and 0 working days.

    Examples
    --------
    >>> acts = pd.DataFrame({"employee_id": [1, 1, 2], "type": ["call", "email", "call"],
    ...                      "activities": [40, 6, 13]})
    >>> work = pd.DataFrame({"employee_id": [1, 2], "working_days": [23, 13]})
    >>> activities_per_working_day(acts, work)["per_working_day"].tolist()
    [2.0, 1.0]
    """
    output = ["activities", "working_days", "per_working_day"]
    by_cols = by_columns(working, by, reserved=output, virtual=["type"])
    require_columns(activities, ["employee_id", "activities"], "activities")
    require_columns(working, ["employee_id", "working_days"], "working")
    if "type" in by_cols:
        require_columns(activities, ["type"], "activities")
    if "period" in by_cols:
        require_columns(activities, ["period"], "activities")
    work = working.astype({"employee_id": "Int64"})
    acts = activities.astype({"employee_id": "Int64"})
    attributes = [c for c in by_cols if c not in ("type", "employee_id", "period")]
    if attributes:
        per_employee = work.drop_duplicates("employee_id")[["employee_id", *attributes]]
        acts = acts.drop(columns=[c for c in attributes if c in acts.columns]).merge(
            per_employee, on="employee_id", how="left"
        )
    work_by = [c for c in by_cols if c != "type"]
    if work_by:
        days = work.groupby(work_by, dropna=False, sort=False)["working_days"].sum().reset_index()
    else:
        days = pd.DataFrame({"working_days": [work["working_days"].sum()]})
    if "type" in by_cols:
        types = pd.DataFrame({"type": pd.unique(acts["type"].dropna())})
        days = days.merge(types, how="cross")
    acts = acts.assign(activities=count_column(acts, "activities"))
    if by_cols:
        done = acts.groupby(by_cols, dropna=False, sort=False)["activities"].sum().reset_index()
        out = days.merge(done, on=by_cols, how="outer")
    else:
        out = days.assign(activities=acts["activities"].sum())
    out = out.fillna({"activities": 0, "working_days": 0})
    out = out.astype({"activities": "int64", "working_days": "int64"})
    if by_cols:
        out = out.sort_values(by_cols, na_position="last", kind="stable", ignore_index=True)
    out["per_working_day"] = safe_rates(
        out["activities"].to_numpy(), out["working_days"].to_numpy()
    )
    return out[[*by_cols, *output]]


# ---- follow-up compliance ---------------------------------------------------------------------

_FOLLOWUP_COUNTS = ["due", "done_on_time", "done_late", "not_done", "pending", "overdue"]


def followup_compliance(
    stats: pd.DataFrame, *, by: str | Sequence[str] | None = "employee_id"
) -> pd.DataFrame:
    """METRICS.md "Follow-up compliance" (and "Overdue") per group.

    ``compliance = done_on_time / judged`` where ``judged = due - pending``: the planned
    activities due in the period, without those whose one-day grace is still running at
    ``as_of`` (they may yet be done on time; at ``as_of = end`` these are only activities due
    in the period's last day).  ``overdue`` (still planned at ``as_of``, due before it) is
    reported beside it.

    Parameters
    ----------
    stats : DataFrame
        ``followup_stats`` (per employee); merge attributes (``team_id``) to group by them.
    by : str or sequence of str, optional
        Group columns; None: everyone together.

    Returns
    -------
    DataFrame
        ``[by…]``, ``due``, ``done_on_time``, ``done_late``, ``not_done``, ``pending``,
        ``overdue``, ``judged`` int, ``compliance``, ``late_share`` (done late / judged)
        float, NaN when nothing was judged.

    Examples
    --------
    >>> stats = pd.DataFrame({"employee_id": [1, 2], "due": [10, 4], "done_on_time": [8, 1],
    ...                       "done_late": [1, 1], "not_done": [1, 2], "pending": [0, 2],
    ...                       "overdue": [1, 0]})
    >>> followup_compliance(stats)["compliance"].tolist()
    [0.8, 0.5]
    """
    output = [*_FOLLOWUP_COUNTS, "judged", "compliance", "late_share"]
    by_cols = by_columns(stats, by, reserved=output)
    require_columns(stats, _FOLLOWUP_COUNTS, "stats")
    keys, sums = _group_sums(stats, by_cols, _FOLLOWUP_COUNTS)
    judged = sums["due"] - sums["pending"]
    return keys.assign(
        **sums,
        judged=judged,
        compliance=safe_rates(sums["done_on_time"], judged),
        late_share=safe_rates(sums["done_late"], judged),
    ).astype({**{c: "int64" for c in [*_FOLLOWUP_COUNTS, "judged"]}, "compliance": "float64"})


def overdue_followups(followups: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """METRICS.md "Overdue": planned activities due before ``as_of`` and not done.

    Parameters
    ----------
    followups : DataFrame
        Activities still planned at ``as_of`` (``crm_data.queries.overdue.overdue_activities``):
        ``activity_id`` int, ``employee_id`` Int64, ``employee`` str, ``type`` str, ``due_at``
        datetime64, ``deal_id`` Int64, ``deal`` str, ``account_id`` Int64, ``account`` str.
    as_of : datetime
        The evaluation moment.

    Returns
    -------
    DataFrame
        The rows with ``due_at < as_of`` plus ``days_overdue`` float (``as_of - due_at`` in
        days), most overdue first (ties by ``activity_id``).
    """
    overdue = followups.loc[followups["due_at"] < pd.Timestamp(as_of)]
    overdue = overdue.assign(days_overdue=elapsed_days(overdue["due_at"], as_of))
    return overdue.sort_values(
        ["days_overdue", "activity_id"], ascending=[False, True], ignore_index=True
    )


# ---- open deals: coverage, conversations, discipline ------------------------------------------


def recently_active(last_activity_at: pd.Series, as_of: datetime, days: int) -> pd.Series:
    """Whether the latest done activity falls in the ``days`` days before ``as_of``.

    The window is ``[as_of - days, as_of)``: an activity exactly ``days`` days before ``as_of``
    is inside it.  NaT (no activity) is False.
    """
    as_of_ts = pd.Timestamp(as_of)
    return (last_activity_at >= as_of_ts - pd.Timedelta(days=days)) & (last_activity_at < as_of_ts)


def next_step_coverage(
    candidates: pd.DataFrame, as_of: datetime, *, by: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """METRICS.md "Next-step coverage": share of open deals with a planned next activity.

    A deal is covered when an activity of it, still planned at ``as_of``, is due at or after
    ``as_of`` (``next_activity_due_at >= as_of``); an activity due before ``as_of`` is
    overdue, not a next step.

    Returns
    -------
    DataFrame
        ``[by…]``, ``open_deals`` int, ``with_next_step`` int, ``coverage`` float.

    Examples
    --------
    >>> deals = pd.DataFrame({"deal_id": [1, 2, 3, 4], "next_activity_due_at":
    ...                       pd.to_datetime(["2024-04-02", None, "2024-04-01", None])})
    >>> next_step_coverage(deals, datetime(2024, 4, 1))["coverage"].tolist()
    [0.5]
    """
    output = ["open_deals", "with_next_step", "coverage"]
    by_cols, deals = _deal_groups(candidates, by, output)
    require_columns(deals, ["next_activity_due_at"], "candidates")
    covered = (deals["next_activity_due_at"] >= pd.Timestamp(as_of)).to_numpy(bool)
    return _share_frame(deals, by_cols, covered, ("open_deals", "with_next_step", "coverage"))


def active_conversations_by(
    candidates: pd.DataFrame,
    as_of: datetime,
    *,
    by: str | Sequence[str] | None = None,
    days: int = SILENCE_DAYS,
) -> pd.DataFrame:
    """METRICS.md "Active conversations" per group: open deals with a recent done activity.

    A deal is active with a done activity in ``[as_of - days, as_of)`` (as
    :func:`active_conversations`, which gives the total).

    Returns
    -------
    DataFrame
        ``[by…]``, ``open_deals`` int, ``active`` int (distinct deals), ``active_share``
        float.

    Examples
    --------
    >>> deals = pd.DataFrame({"deal_id": [1, 2, 3], "owner_id": [7, 7, 8],
    ...                       "last_activity_at": pd.to_datetime(
    ...                           ["2024-03-18", "2024-03-17 23:59", None], format="ISO8601")})
    >>> active_conversations_by(deals, datetime(2024, 4, 1), by="owner_id")["active"].tolist()
    [1, 0]
    """
    output = ["open_deals", "active", "active_share"]
    by_cols, deals = _deal_groups(candidates, by, output)
    require_columns(deals, ["last_activity_at"], "candidates")
    active = recently_active(deals["last_activity_at"], as_of, days).to_numpy(bool)
    return _share_frame(deals, by_cols, active, ("open_deals", "active", "active_share"))


def active_conversations(
    candidates: pd.DataFrame, as_of: datetime, days: int = SILENCE_DAYS
) -> int:
    """METRICS.md "Active conversations" as one number: distinct open deals with a done activity
    in the ``days`` days before ``as_of`` (:func:`active_conversations_by` over everything).

    Examples
    --------
    >>> deals = pd.DataFrame({"deal_id": [1, 2, 2], "last_activity_at": pd.to_datetime(
    ...     ["2024-03-30", "2024-03-31", "2024-03-31"])})
    >>> active_conversations(deals, datetime(2024, 4, 1))
    2
    """
    table = active_conversations_by(candidates, as_of, days=days)
    return int(table["active"].sum()) if len(table) else 0


def data_discipline(
    candidates: pd.DataFrame,
    as_of: datetime,
    *,
    days: int = DISCIPLINE_DAYS,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """METRICS.md "Data discipline": share of open deals touched in the last ``days`` days.

    A deal is touched by a stage change (its last stage-history row, ``stage_entered_at``;
    this includes its creation and rows that only change the amount) or a done activity
    (``last_activity_at``) in ``[as_of - days, as_of)``.

    Returns
    -------
    DataFrame
        ``[by…]``, ``open_deals`` int, ``touched`` int, ``discipline`` float.

    Examples
    --------
    >>> deals = pd.DataFrame({"deal_id": [1, 2, 3],
    ...     "stage_entered_at": pd.to_datetime(["2024-03-20", "2023-12-01", "2023-12-01"]),
    ...     "last_activity_at": pd.to_datetime([None, "2024-03-02", "2024-03-01 23:00"],
    ...                                   format="ISO8601")})
    >>> data_discipline(deals, datetime(2024, 4, 1))[["touched", "discipline"]].values.tolist()
    [[2.0, 0.6666666666666666]]
    """
    output = ["open_deals", "touched", "discipline"]
    by_cols, deals = _deal_groups(candidates, by, output)
    require_columns(deals, ["stage_entered_at", "last_activity_at"], "candidates")
    touched = recently_active(deals["stage_entered_at"], as_of, days) | recently_active(
        deals["last_activity_at"], as_of, days
    )
    return _share_frame(
        deals, by_cols, touched.to_numpy(bool), ("open_deals", "touched", "discipline")
    )


# ---- negotiations state -----------------------------------------------------------------------

_STAGE_KEYS = ["stage_id", "stage", "position"]


def negotiations_state(
    flagged: pd.DataFrame,
    as_of: datetime,
    *,
    by: str | Sequence[str] | None = None,
    stages: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """METRICS.md "Negotiations state": open deals at ``as_of`` by stage.

    Per (group…, stage): count, amount, median age, share stuck.  Two ages are given: the
    median days in the current stage and the median age of the deal (``as_of - created_at``);
    medians are over the deals open now (no censoring question: every age ends at ``as_of``).
    *Stuck* is the ``stuck`` flag of :func:`analytics.stuck.stuck_deals` (time in stage over the
    stage's limit); ``flagged`` counts deals with any warning flag.

    Parameters
    ----------
    flagged : DataFrame
        :func:`analytics.stuck.stuck_deals` of the candidates at ``as_of``: ``deal_id``,
        ``stage_id``, ``stage``, ``position``, ``amount``, ``days_in_stage``, ``created_at``,
        ``stuck`` and ``flagged`` bool.
    as_of : datetime
        The evaluation moment.
    by : str or sequence of str, optional
        Group columns (e.g. ``owner_id``), before the stage.
    stages : DataFrame, optional
        The open stages (``funnel_stages``: ``stage_id``, ``stage``, ``position``): every one
        is listed for every group, with 0 deals; by default only stages holding deals.

    Returns
    -------
    DataFrame
        ``[by…]``, ``stage_id`` int, ``stage`` str, ``position`` int, ``deals`` int,
        ``amount`` float, ``median_days_in_stage`` float, ``median_age_days`` float,
        ``stuck`` int, ``stuck_share`` float, ``flagged`` int, ``flagged_share`` float
        (NaN medians and shares without deals); by group, then position.
    """
    counts = ["deals", "stuck", "flagged"]
    output = [*_STAGE_KEYS, *counts, "amount", "median_days_in_stage", "median_age_days"]
    by_cols = by_columns(flagged, by, reserved=[*output, "stuck_share", "flagged_share"])
    needed = ["deal_id", *_STAGE_KEYS, "amount", "days_in_stage", "created_at", "stuck", "flagged"]
    require_columns(flagged, needed, "flagged")
    deals = flagged.drop_duplicates("deal_id")
    work = deals[[*by_cols, *_STAGE_KEYS]].assign(
        deals=1,
        amount=money_column(deals, "amount"),
        days_in_stage=deals["days_in_stage"].astype("float64"),
        age_days=(pd.Timestamp(as_of) - deals["created_at"]).dt.total_seconds() / 86_400,
        stuck=deals["stuck"].astype("int64"),
        flagged=deals["flagged"].astype("int64"),
    )
    keys = [*by_cols, "stage_id"]
    grouped = work.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        deals=("deals", "sum"),
        amount=("amount", "sum"),
        median_days_in_stage=("days_in_stage", "median"),
        median_age_days=("age_days", "median"),
        stuck=("stuck", "sum"),
        flagged=("flagged", "sum"),
    ).reset_index()
    if stages is not None:
        table = stages[_STAGE_KEYS].astype(
            {"stage_id": "int64", "stage": "str", "position": "int64"}
        )
    else:
        table = work[_STAGE_KEYS].drop_duplicates("stage_id")
    if by_cols and stages is not None:
        groups = work[by_cols].drop_duplicates()
        grid = groups.merge(table, how="cross")
    elif by_cols:
        grid = work[[*by_cols, "stage_id"]].drop_duplicates().merge(table, on="stage_id")
    else:
        grid = table
    out = grid.merge(out, on=keys, how="left")
    out = out.fillna({"deals": 0, "amount": 0.0, "stuck": 0, "flagged": 0})
    out = out.astype({"stage_id": "int64", "stage": "str", "position": "int64"})
    out = out.astype({c: "int64" for c in counts} | {"amount": "float64"})
    out["stuck_share"] = safe_rates(out["stuck"].to_numpy(), out["deals"].to_numpy())
    out["flagged_share"] = safe_rates(out["flagged"].to_numpy(), out["deals"].to_numpy())
    out = out.sort_values([*by_cols, "position", "stage_id"], na_position="last", kind="stable")
    columns = [*by_cols, *_STAGE_KEYS, "deals", "amount", "median_days_in_stage",
               "median_age_days", "stuck", "stuck_share", "flagged", "flagged_share"]  # fmt: skip
    return (
        out[columns]
        .reset_index(drop=True)
        .astype({"median_days_in_stage": "float64", "median_age_days": "float64"})
    )


# ---- lead response time -----------------------------------------------------------------------


def lead_response(
    times: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "owner_id",
    probs: Sequence[float] = (0.5,),
) -> pd.DataFrame:
    """METRICS.md "Lead response time": Kaplan–Meier median hours to the first done activity.

    Deals still without a done activity at ``as_of`` are censored there: they count as
    "no response yet for so long", never as a response (the median of the responded deals
    only would be biased short).  The quantile is NaN when the curve never gets down to it
    (too many unanswered deals).  Times are the 0.1-hour bins of ``lead_response_times``;
    quantile rule as in :mod:`analytics.survival`.

    Parameters
    ----------
    times : DataFrame
        ``hours``, ``censored`` and ``deals`` (optional, 1 per row).
    by : str or sequence of str, optional
        Group columns (default per owner); None: everyone together.
    probs : sequence of float
        Quantiles: column ``median_hours`` for 0.5, ``p90_hours`` for 0.9, ...

    Returns
    -------
    DataFrame
        ``[by…]``, ``deals``, ``responded``, ``censored`` int, one float column per quantile.

    Examples
    --------
    >>> times = pd.DataFrame({"hours": [1.0, 2.0, 3.0, 50.0], "censored": [False] * 3 + [True]})
    >>> lead_response(times, by=None)["median_hours"].tolist()
    [2.0]
    """
    summary = km_summary(times, time="hours", weight="deals", by=by, probs=probs, suffix="_hours")
    return summary.rename(columns={"count": "deals", "ended": "responded"})


# ---- clients ----------------------------------------------------------------------------------


def reactivated_clients(
    contacts_at_start: pd.DataFrame,
    contacts_at_end: pd.DataFrame,
    start: datetime,
    *,
    days: int = FORGOTTEN_DAYS,
) -> pd.DataFrame:
    """METRICS.md "Reactivated client": forgotten at the period start, in touch again since.

    Forgotten at ``start`` as :func:`analytics.clients.forgotten_clients` decides on the
    customer frame taken at ``start``; reactivated when the frame taken at the period's
    ``as_of`` shows an order (``last_order_at``) or a done activity (``last_activity_at``) at
    or after ``start``.

    Parameters
    ----------
    contacts_at_start, contacts_at_end : DataFrame
        ``customer_contacts`` with ``as_of`` = the period start and the period's ``as_of``.
    start : datetime
        The period start (midnight).
    days : int
        The forgotten-client silence window.

    Returns
    -------
    DataFrame
        The ``contacts_at_end`` rows of the reactivated customers plus
        ``last_contact_before`` datetime64 (last contact before ``start``, NaT if none),
        ``days_silent`` float (days without contact at ``start``), ``ordered`` bool and
        ``contacted`` bool (an order / a done activity since ``start``); by revenue
        descending, then account id.
    """
    start_ts = pd.Timestamp(start)
    forgotten = forgotten_clients(contacts_at_start, start, days)
    before = forgotten[["account_id", "last_contact_at", "days_since_contact"]].rename(
        columns={"last_contact_at": "last_contact_before", "days_since_contact": "days_silent"}
    )
    rows = contacts_at_end.merge(before, on="account_id", how="inner")
    ordered = (rows["last_order_at"] >= start_ts).to_numpy(bool)
    contacted = (rows["last_activity_at"] >= start_ts).to_numpy(bool)
    out = rows.assign(ordered=ordered, contacted=contacted).loc[ordered | contacted]
    out = out.astype({"last_contact_before": "datetime64[us]", "days_silent": "float64"})
    return out.sort_values(["revenue", "account_id"], ascending=[False, True], ignore_index=True)


def new_direction_clients(
    clients: pd.DataFrame, *, by: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """METRICS.md "New-direction clients": distinct accounts per group (region, product line…).

    An account that bought into two new lines counts once in total and once per line.

    Parameters
    ----------
    clients : DataFrame
        ``new_line_clients``: ``account_id`` plus the group columns (``region``,
        ``product_line``, ``owner_id``).
    by : str or sequence of str, optional
        Group columns; None: all together.

    Returns
    -------
    DataFrame
        ``[by…]``, ``clients`` int (distinct accounts).

    Examples
    --------
    >>> rows = pd.DataFrame({"account_id": [1, 1, 2], "region": ["N", "N", "S"],
    ...                      "product_line": ["Cloud", "AI", "Cloud"]})
    >>> new_direction_clients(rows)["clients"].tolist()
    [2]
    >>> new_direction_clients(rows, by="product_line").values.tolist()
    [['AI', 1], ['Cloud', 2]]
    """
    by_cols = by_columns(clients, by, reserved=["clients"])
    require_columns(clients, ["account_id"], "clients")
    distinct = clients.drop_duplicates([*by_cols, "account_id"])
    codes, keys = group_codes(distinct, by_cols)
    counts = as_counts(tally(codes, np.ones(len(distinct)), len(keys)))
    return keys.assign(clients=counts).astype({"clients": "int64"})
