"""The funnel report the naive way: read whole raw tables into pandas, then compute.

This is the baseline the benchmarks compare the SQL query layer (``crm_data.queries``) with: a
straightforward analyst's version that pulls ``deals``, ``deal_stage_history``, ``stages``,
``activities``, ``lost_reasons`` and ``quotas`` completely (``pd.read_sql(sa.select(table))``,
no WHERE clause; ``employees``/``accounts`` too when a team/region/segment filter needs them)
and computes the funnel report with vectorised pandas (no per-deal Python loop; the Kaplan–Meier
step is one ``statsmodels`` fit per stage).  Definitions are those of METRICS.md "Funnel and
pipeline" and the time convention of ``crm_data.queries.history`` (state "at t" = events
strictly before ``t``), with the unrestricted scope.

Usage::

    from bench.naive_funnel import naive_funnel
    report = naive_funnel(engine, Filters(date(2025, 7, 1), date(2026, 7, 1)))
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from statsmodels.duration.survfunc import SurvfuncRight

from crm_data.filters import Filters
from crm_data.schema import Base

__all__ = ["NAIVE_TABLES", "naive_funnel", "read_tables"]

#: The tables the naive report always reads whole.
NAIVE_TABLES = ("deals", "deal_stage_history", "stages", "activities", "lost_reasons", "quotas")
DAY = pd.Timedelta(days=1)
NO_REASON = "No reason given"


def read_tables(engine: sa.Engine, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Whole tables as DataFrames (timestamps as datetime64, even on SQLite)."""
    out = {}
    with engine.connect() as conn:
        for name in names:
            table = Base.metadata.tables[name]
            frame = pd.read_sql(sa.select(table), conn)
            for column in table.columns:
                is_time = isinstance(column.type, sa.DateTime | sa.Date)
                if is_time and not pd.api.types.is_datetime64_dtype(frame[column.name].dtype):
                    frame[column.name] = pd.to_datetime(frame[column.name])
            out[name] = frame
    return out


def _filtered_deals(t: dict[str, pd.DataFrame], f: Filters) -> pd.DataFrame:
    """Deals the filters keep (rep/team on the owner, region/segment on the account, ...)."""
    d = t["deals"]
    keep = pd.Series(True, index=d.index)
    if f.reps:
        keep &= d["owner_id"].isin(f.reps)
    if f.teams:
        emp = t["employees"]
        keep &= d["owner_id"].isin(emp.loc[emp["team_id"].isin(f.teams), "id"])
    if f.regions or f.segments:
        acc = t["accounts"]
        ok = pd.Series(True, index=acc.index)
        if f.regions:
            ok &= acc["region"].isin(f.regions)
        if f.segments:
            ok &= acc["size_band"].isin(f.segments)
        keep &= d["account_id"].isin(acc.loc[ok, "id"])
    if f.product_lines:
        keep &= d["product_line"].isin(f.product_lines)
    if f.pipeline:
        st = t["stages"]
        keep &= d["stage_id"].isin(st.loc[st["pipeline"] == f.pipeline, "id"])
    return d[keep]


def _funnel_stages(t: dict[str, pd.DataFrame], f: Filters) -> pd.DataFrame:
    """Open stages of the filtered pipeline, else of the pipeline with most deals."""
    st = t["stages"]
    pipeline = f.pipeline
    if pipeline is None:
        counts = t["deals"]["stage_id"].map(st.set_index("id")["pipeline"]).value_counts()
        pipeline = (
            min(counts[counts == counts.max()].index) if len(counts) else st["pipeline"].min()
        )
    is_open = ~st["is_won"].astype(bool) & ~st["is_lost"].astype(bool)
    return st[is_open & (st["pipeline"] == pipeline)].sort_values(["position", "id"])


def _states_at(deals: pd.DataFrame, history: pd.DataFrame, moment: datetime) -> pd.DataFrame:
    """Deals open at ``moment`` with stage, amount and entered_at of their last history row."""
    t = pd.Timestamp(moment)
    open_ = deals[
        (deals["created_at"] < t) & (deals["closed_at"].isna() | (deals["closed_at"] >= t))
    ]
    h = history[history["deal_id"].isin(open_["id"]) & (history["entered_at"] < t)]
    last = h.groupby("deal_id").tail(1)  # history is sorted by deal, entered_at, id
    return last.merge(
        open_[["id", "owner_id"]].rename(columns={"id": "deal_id"}), on="deal_id"
    ).rename(columns={"entered_at": "stage_entered_at"})


def _km(durations: pd.Series, censored: pd.Series) -> tuple[float, float]:
    """Kaplan–Meier median and p90 of durations (NaN where the curve does not get there)."""
    if durations.empty:
        return np.nan, np.nan
    fit = SurvfuncRight(durations.to_numpy(float), (~censored).to_numpy(int))
    return float(fit.quantile(0.5)), float(fit.quantile(0.9))


def naive_funnel(engine: sa.Engine, filters: Filters) -> dict[str, Any]:
    """The funnel report computed in pandas from whole raw tables (benchmark baseline).

    Parameters
    ----------
    engine : sa.Engine
        The CRM database.
    filters : Filters
        Period ``[start, end)``, ``as_of`` (default ``end``) and narrowing lists.

    Returns
    -------
    dict
        ``cohort`` int — deals created in the period (and before ``as_of``);
        ``reached`` DataFrame — per open stage and a final ``Won`` step: ``stage_id``,
        ``stage``, ``position``, ``reached`` (high-water mark: highest open position entered
        before ``as_of`` ≥ position, or won at ``as_of``), ``reached_amount`` (amounts at
        ``as_of``), ``still_open``;
        ``win_rate`` dict — ``won``, ``lost``, ``won_amount``, ``closed_amount``,
        ``win_rate`` over deals closed in the period before ``as_of``, ``mean_cycle_days`` of
        the won ones;
        ``time_in_stage`` DataFrame — per open stage ``visits``, ``censored``, KM ``median``
        and ``p90`` days of the cohort's visits (censored at ``as_of``);
        ``open_deals`` DataFrame — deals open at ``as_of``: ``deal_id``, ``stage_id``,
        ``days_in_stage``, ``last_activity_at``, ``limit_days`` (rot_days, else the stage's
        KM p90), ``stuck``;
        ``pipeline`` dict — ``start_amount``/``end_amount`` and deal counts of the
        snapshots at the start's and end's midnights (``as_of`` at the latest);
        ``lost_reasons`` DataFrame — deals lost in the period by ``lost_reason``: ``deals``,
        ``amount``;
        ``quota`` float — Σ quota targets within the period, ``won_amount`` for coverage.
    """
    names = NAIVE_TABLES
    if filters.teams:
        names += ("employees",)  # team members
    if filters.regions or filters.segments:
        names += ("accounts",)
    t = read_tables(engine, names)
    as_of = pd.Timestamp(filters.as_of_ts)
    start, end = pd.Timestamp(filters.start_ts), pd.Timestamp(filters.end_ts)
    stages = _funnel_stages(t, filters)
    all_stages = t["stages"].set_index("id")
    position = all_stages["position"]
    terminal = all_stages["is_won"].astype(bool) | all_stages["is_lost"].astype(bool)
    open_ids = set(all_stages.index[~terminal])
    deals = _filtered_deals(t, filters)
    history = t["deal_stage_history"].sort_values(["deal_id", "entered_at", "id"])
    closed_before = deals["closed_at"].notna() & (deals["closed_at"] < as_of)
    deals = deals.assign(status_at=deals["status"].where(closed_before, "open"))

    # ---- cohort funnel (high-water mark) ----
    created = deals["created_at"]
    cohort = deals[(created >= start) & (created < end) & (created < as_of)]
    ch = history[history["deal_id"].isin(cohort["id"]) & (history["entered_at"] < as_of)]
    open_rows = ch[ch["stage_id"].isin(open_ids)]
    hwm = open_rows["stage_id"].map(position).groupby(open_rows["deal_id"]).max()
    c = cohort.assign(hwm=cohort["id"].map(hwm))
    won = (c["status_at"] == "won").to_numpy()
    positions = stages["position"].to_numpy()
    reached_grid = (c["hwm"].to_numpy(float)[:, None] >= positions[None, :]) | won[:, None]
    # the amount at as_of: that of the deal's last history row before it
    amounts = c["id"].map(ch.groupby("deal_id")["amount"].last()).fillna(c["amount"])
    amounts = amounts.to_numpy(float)
    still = (c["status_at"] == "open").to_numpy()
    reached = pd.DataFrame(
        {
            "stage_id": pd.array([*stages["id"], pd.NA], dtype="Int64"),
            "stage": [*stages["name"], "Won"],
            "position": [*positions, (positions.max() if len(positions) else 0) + 1],
            "reached": [*reached_grid.sum(0), won.sum()],
            "reached_amount": [*(amounts[:, None] * reached_grid).sum(0), amounts[won].sum()],
            "still_open": [*(reached_grid & still[:, None]).sum(0), 0],
        }
    )

    # ---- win rate over deals closed in the period, before as_of ----
    closed = deals[
        deals["status"].isin(["won", "lost"])
        & (deals["closed_at"] >= start)
        & (deals["closed_at"] < end)
        & (deals["closed_at"] < as_of)
    ]
    is_won = closed["status"] == "won"
    n_won, n_lost = int(is_won.sum()), int((~is_won).sum())
    cycle = (closed["closed_at"] - closed["created_at"]) / DAY
    win_rate = {
        "won": n_won,
        "lost": n_lost,
        "won_amount": float(closed.loc[is_won, "amount"].sum()),
        "closed_amount": float(closed["amount"].sum()),
        "win_rate": n_won / (n_won + n_lost) if n_won + n_lost else np.nan,
        "mean_cycle_days": float(cycle[is_won].mean()) if n_won else np.nan,
    }

    # ---- time in stage: visits of cohort deals, censored at as_of, KM per stage ----
    visits = ch.assign(next_at=ch.groupby("deal_id")["entered_at"].shift(-1))
    visits = visits.merge(
        c[["id", "closed_at"]].rename(columns={"id": "deal_id"}), on="deal_id", how="left"
    )
    ended = visits["closed_at"].notna() & (visits["closed_at"] < as_of)
    visits["censored"] = visits["next_at"].isna() & ~ended
    left_at = visits["next_at"].fillna(visits["closed_at"].where(ended, as_of))
    visits["days"] = (left_at - visits["entered_at"]) / DAY
    visits = visits[visits["stage_id"].isin(open_ids)]
    tis_rows = []
    for stage in stages.itertuples():
        v = visits[visits["stage_id"] == stage.id]
        median, p90 = _km(v["days"], v["censored"])
        tis_rows.append(
            {
                "stage_id": stage.id,
                "stage": stage.name,
                "position": stage.position,
                "visits": len(v),
                "censored": int(v["censored"].sum()),
                "median": median,
                "p90": p90,
            }
        )
    time_in_stage = pd.DataFrame(tis_rows)

    # ---- open deals at as_of: days in stage, last activity, stuck flag ----
    states = _states_at(deals, history, filters.as_of_ts)
    act = t["activities"]
    done = act[(act["status"] == "done") & (act["done_at"] < as_of)]
    last_activity = done.groupby("deal_id")["done_at"].max()
    p90 = time_in_stage.set_index("stage_id")["p90"] if len(time_in_stage) else pd.Series()
    limit = states["stage_id"].map(all_stages["rot_days"]).astype("float64")
    limit = limit.fillna(states["stage_id"].map(p90).astype("float64"))
    open_deals = pd.DataFrame(
        {
            "deal_id": states["deal_id"],
            "stage_id": states["stage_id"],
            "amount": states["amount"],
            "days_in_stage": (as_of - states["stage_entered_at"]) / DAY,
            "last_activity_at": last_activity.reindex(states["deal_id"]).to_numpy(),
            "limit_days": limit,
        }
    ).sort_values("deal_id", ignore_index=True)
    open_deals["stuck"] = open_deals["days_in_stage"] > open_deals["limit_days"]

    # ---- pipeline at the start and at the end (as_of at the latest) ----
    at_start = _states_at(deals, history, filters.start_ts)
    at_end = _states_at(deals, history, filters.until_ts)
    pipeline = {
        "start_deals": len(at_start),
        "start_amount": float(at_start["amount"].sum()),
        "end_deals": len(at_end),
        "end_amount": float(at_end["amount"].sum()),
    }

    # ---- lost deals by reason ----
    lost = closed[~is_won]
    reason = lost["lost_reason_id"].map(t["lost_reasons"].set_index("id")["name"])
    lost_reasons = (
        lost.assign(lost_reason=reason.fillna(NO_REASON))
        .groupby("lost_reason", as_index=False)
        .agg(deals=("id", "size"), amount=("amount", "sum"))
        .sort_values(["deals", "lost_reason"], ascending=[False, True], ignore_index=True)
    )

    # ---- quota of the period ----
    q = t["quotas"]
    in_period = (q["period_start"] >= start) & (q["period_end"] <= end)
    if filters.reps:
        in_period &= q["employee_id"].isin(filters.reps)
    if filters.teams:
        emp = t["employees"]
        in_period &= q["employee_id"].isin(emp.loc[emp["team_id"].isin(filters.teams), "id"])
    return {
        "cohort": len(cohort),
        "reached": reached,
        "win_rate": win_rate,
        "time_in_stage": time_in_stage,
        "open_deals": open_deals,
        "pipeline": pipeline,
        "lost_reasons": lost_reasons,
        "quota": float(q.loc[in_period, "revenue_target"].sum()),
        "won_amount": win_rate["won_amount"],
    }
