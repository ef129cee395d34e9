"""Every query function against a naive pandas reference on a generated demo database.

The reference reads whole raw tables into pandas and computes the same definitions with plain
pandas/Python (no shared code with the SQL beyond the definitions).  Raw tables are read with
``pd.read_sql(select(table))`` rather than ``pd.read_sql_table``: the latter reflects the table
first, and duckdb-engine 0.17's reflection fails under SQLAlchemy 2.1 (``pg_collation``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.demo import seed_demo
from crm_data.filters import Filters, Scope
from crm_data.queries import (
    activities_by_rep_type_period,
    customer_summary,
    deals_closed,
    open_pipeline_by_stage,
    orders_by_month,
    pipeline_snapshots,
    stage_high_water_marks,
    stage_visits,
    stuck_deal_candidates,
)
from crm_data.schema import Base
from tests.support.databases import DIALECTS, fresh_engine

pytestmark = pytest.mark.slow

RAW_TABLES = (
    "employees",
    "accounts",
    "stages",
    "lost_reasons",
    "deals",
    "deal_stage_history",
    "activities",
    "orders",
    "order_items",
    "products",
)
DAY = pd.Timedelta(days=1)


# ---- the pandas reference -------------------------------------------------------------------


@dataclass
class Reference:
    """Raw tables and the scope/filter rules of ``crm_data.queries.where``, in pandas."""

    t: dict[str, pd.DataFrame]

    def members(self, teams: Any) -> set[int]:
        emp = self.t["employees"]
        return set(emp.loc[emp["team_id"].isin(list(teams)), "id"])

    def owner_ok(self, col: pd.Series, f: Filters, s: Scope) -> pd.Series:
        mask = pd.Series(True, index=col.index)
        if s.role == "rep":
            mask &= col == s.employee_id
        elif s.role == "head":
            mask &= col.isin(self.members([s.team_id]))
        if f.reps:
            mask &= col.isin(f.reps)
        if f.teams:
            mask &= col.isin(self.members(f.teams))
        return mask

    def account_attr_ok(self, col: pd.Series, f: Filters) -> pd.Series:
        acc = self.t["accounts"]
        keep = pd.Series(True, index=acc.index)
        if f.regions:
            keep &= acc["region"].isin(f.regions)
        if f.segments:
            keep &= acc["size_band"].isin(f.segments)
        return col.isin(set(acc.loc[keep, "id"]))

    def deal_attr_ok(self, deals: pd.DataFrame, f: Filters) -> pd.Series:
        mask = pd.Series(True, index=deals.index)
        if f.product_lines:
            mask &= deals["product_line"].isin(f.product_lines)
        if f.pipeline:
            st = self.t["stages"]
            mask &= deals["stage_id"].isin(set(st.loc[st["pipeline"] == f.pipeline, "id"]))
        return mask

    def deals(self, f: Filters, s: Scope) -> pd.DataFrame:
        d = self.t["deals"]
        ok = self.owner_ok(d["owner_id"], f, s)
        ok &= self.account_attr_ok(d["account_id"], f)
        return d[ok & self.deal_attr_ok(d, f)]

    def open_stage_ids(self) -> set[int]:
        st = self.t["stages"]
        return set(st.loc[~st["is_won"].astype(bool) & ~st["is_lost"].astype(bool), "id"])

    def positions(self) -> dict[int, int]:
        return self.t["stages"].set_index("id")["position"].to_dict()

    def history(self, deal_ids: Any, before: datetime) -> pd.DataFrame:
        h = self.t["deal_stage_history"]
        h = h[h["deal_id"].isin(set(deal_ids)) & (h["entered_at"] < before)]
        return h.sort_values(["deal_id", "entered_at", "id"])

    def states_at(self, f: Filters, s: Scope, t: datetime) -> pd.DataFrame:
        d = self.deals(f, s)
        d = d[(d["created_at"] < t) & (d["closed_at"].isna() | (d["closed_at"] >= t))]
        last = self.history(d["id"], t).groupby("deal_id").tail(1)
        return last.merge(
            d.drop(columns=["stage_id", "amount"]), left_on="deal_id", right_on="id"
        ).rename(columns={"entered_at": "stage_entered_at"})

    def cohort(self, f: Filters, s: Scope) -> pd.DataFrame:
        d = self.deals(f, s)
        return d[in_period(d["created_at"], f)]

    def orders(self, f: Filters, s: Scope) -> pd.DataFrame:
        o = self.t["orders"]
        acc = self.t["accounts"]
        visible = set(acc.loc[self.owner_ok(acc["owner_id"], f, s), "id"])
        o = o[o["account_id"].isin(visible) & self.account_attr_ok(o["account_id"], f)]
        if f.product_lines:
            prods = self.t["products"]
            ids = set(prods.loc[prods["product_line"].isin(f.product_lines), "id"])
            items = self.t["order_items"]
            items = items[items["product_id"].isin(ids)]
            amounts = (items["quantity"] * items["unit_price"]).groupby(items["order_id"]).sum()
            o = o[o["id"].isin(amounts.index)].assign(amount=lambda x: x["id"].map(amounts))
        return o


def in_period(ts: pd.Series, f: Filters) -> pd.Series:
    """In ``[start, end)`` and before ``as_of`` (nothing at or after ``as_of`` counts)."""
    return (ts >= f.start_ts) & (ts < f.end_ts) & (ts < f.as_of_ts)


def trunc(ts: pd.Series, unit: str) -> pd.Series:
    day = ts.dt.normalize()
    if unit == "day":
        return day
    if unit == "week":
        return day - pd.to_timedelta(ts.dt.day_of_week, unit="D")
    return ts.dt.to_period({"month": "M", "quarter": "Q", "year": "Y"}[unit]).dt.start_time


def ref_open_pipeline(r: Reference, f: Filters, s: Scope) -> pd.DataFrame:
    states = r.states_at(f, s, f.as_of_ts)
    agg = states.groupby("stage_id").agg(deals=("deal_id", "size"), amount=("amount", "sum"))
    st = r.t["stages"]
    st = st[st["id"].isin(r.open_stage_ids())]
    if f.pipeline:
        st = st[st["pipeline"] == f.pipeline]
    out = st.rename(columns={"id": "stage_id", "name": "stage"}).merge(
        agg, left_on="stage_id", right_index=True, how="left"
    )
    out["deals"] = out["deals"].fillna(0)
    out["amount"] = out["amount"].fillna(0.0)
    out["weighted_amount"] = out["amount"] * out["probability"]
    out = out.sort_values(["position", "stage_id"])
    return out[["stage_id", "stage", "position", "probability", "deals", "amount",
                "weighted_amount"]]  # fmt: skip


def snapshot_dates(f: Filters) -> list[date]:
    return [d.date() for d in pd.date_range(f.start, f.end, freq="MS")]


def ref_snapshots(r: Reference, f: Filters, s: Scope) -> pd.DataFrame:
    pos = r.positions()
    parts = []
    # a date after as_of is taken at as_of: nothing later is known
    for d in sorted({min(d, f.as_of_ts.date()) for d in snapshot_dates(f)}):
        states = r.states_at(f, s, datetime.combine(d, datetime.min.time()))
        parts.append(states.assign(snapshot_date=pd.Timestamp(d)))
    out = pd.concat(parts, ignore_index=True)
    out["position"] = out["stage_id"].map(pos)
    out = out.sort_values(["snapshot_date", "deal_id"])
    return out[["snapshot_date", "deal_id", "owner_id", "stage_id", "position", "amount"]]


HWM_COLUMNS = ["deal_id", "owner_id", "product_line", "status", "max_open_position",
               "reached_won", "lost", "final_position", "strict_ok_position", "regressed",
               "lost_stage_position"]  # fmt: skip


def ref_high_water_marks(r: Reference, f: Filters, s: Scope) -> pd.DataFrame:
    cohort = r.cohort(f, s).sort_values("id")
    pos = r.positions()
    open_ids = r.open_stage_ids()
    st = r.t["stages"].set_index("id")
    hist = r.history(cohort["id"], f.as_of_ts)
    by_deal = {k: g for k, g in hist.groupby("deal_id")}
    rows = []
    for deal in cohort.itertuples():
        closed = pd.notna(deal.closed_at) and deal.closed_at < f.as_of_ts
        status = deal.status if closed else "open"
        g = by_deal.get(deal.id, hist.iloc[:0])
        stages = g["stage_id"].tolist()
        opened = [x for x in stages if x in open_ids]
        open_pos = [pos[x] for x in opened]
        # strict: walk the pipeline's open stages by position, first entries must not decrease
        pipeline = st.loc[deal.stage_id, "pipeline"]
        seq = st[(st["pipeline"] == pipeline) & st.index.isin(open_ids)].sort_values(["position"])
        first = g.groupby("stage_id")["entered_at"].min().to_dict()
        strict, prev = pd.NA, None
        for sid, row in seq.iterrows():
            if sid not in first or (prev is not None and first[sid] < prev):
                break
            strict, prev = row["position"], first[sid]
        rows.append({
            "deal_id": deal.id,
            "owner_id": deal.owner_id,
            "product_line": deal.product_line,
            "status": status,
            "max_open_position": max(open_pos) if open_pos else pd.NA,
            "reached_won": status == "won",
            "lost": status == "lost",
            "final_position": pos[stages[-1]] if stages else pd.NA,
            "strict_ok_position": strict,
            "regressed": any(b < a for a, b in pairwise(open_pos)),
            "lost_stage_position": open_pos[-1] if status == "lost" and open_pos else pd.NA,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=HWM_COLUMNS)


def ref_stage_visits(r: Reference, f: Filters, s: Scope) -> pd.DataFrame:
    cohort = r.cohort(f, s)
    h = r.history(cohort["id"], f.as_of_ts).copy()
    h["next_at"] = h.groupby("deal_id")["entered_at"].shift(-1)
    h = h.merge(cohort[["id", "owner_id", "closed_at"]].rename(columns={"id": "deal_id"}))
    closed_before = h["closed_at"].notna() & (h["closed_at"] < f.as_of_ts)
    h["censored"] = h["next_at"].isna() & ~closed_before
    h["left_at"] = h["next_at"].where(
        h["next_at"].notna(), h["closed_at"].where(closed_before, pd.Timestamp(f.as_of_ts))
    )
    h = h[h["stage_id"].isin(r.open_stage_ids())].copy()
    h["position"] = h["stage_id"].map(r.positions())
    h["duration_days"] = (h["left_at"] - h["entered_at"]) / DAY
    h = h.sort_values(["deal_id", "entered_at", "id"])
    return h[["deal_id", "owner_id", "stage_id", "position", "entered_at", "left_at",
              "censored", "duration_days"]]  # fmt: skip


def ref_stuck(r: Reference, f: Filters, s: Scope) -> pd.DataFrame:
    as_of = f.as_of_ts
    states = r.states_at(f, s, as_of)
    st = r.t["stages"].set_index("id")
    act = r.t["activities"]
    done = act[(act["status"] == "done") & (act["done_at"] < as_of)]
    last = done.groupby("deal_id")["done_at"].max()
    planned = (act["status"] == "planned") | ((act["status"] == "done") & (act["done_at"] >= as_of))
    nxt = act[planned & (act["due_at"] >= as_of)].groupby("deal_id")["due_at"].min()
    out = states.assign(
        stage=states["stage_id"].map(st["name"]),
        position=states["stage_id"].map(st["position"]),
        rot_days=states["stage_id"].map(st["rot_days"]),
        days_in_stage=(pd.Timestamp(as_of) - states["stage_entered_at"]) / DAY,
        last_activity_at=states["deal_id"].map(last),
        next_activity_due_at=states["deal_id"].map(nxt),
        expected_close_at=pd.to_datetime(states["expected_close_at"]),
    ).sort_values("deal_id")
    return out[["deal_id", "owner_id", "account_id", "product_line", "stage_id", "stage",
                "position", "rot_days", "stage_entered_at", "days_in_stage", "created_at",
                "expected_close_at", "last_activity_at", "next_activity_due_at",
                "amount"]]  # fmt: skip


def ref_deals_closed(r: Reference, f: Filters, s: Scope) -> pd.DataFrame:
    d = r.deals(f, s)
    d = d[d["status"].isin(["won", "lost"]) & in_period(d["closed_at"], f)].copy()
    reasons = r.t["lost_reasons"].set_index("id")["name"]
    h = r.history(d["id"], f.as_of_ts)
    h = h[h["stage_id"].isin(r.open_stage_ids())].groupby("deal_id").tail(1)
    last_open = h.set_index("deal_id")["stage_id"].map(r.positions())
    lost = d["status"] == "lost"
    d["cycle_days"] = (d["closed_at"] - d["created_at"]) / DAY
    d["lost_reason"] = d["lost_reason_id"].map(reasons).where(lost)
    d["lost_stage_position"] = d["id"].map(last_open).where(lost)
    d = d.rename(columns={"id": "deal_id"}).sort_values(["closed_at", "deal_id"])
    return d[["deal_id", "owner_id", "account_id", "product_line", "status", "amount",
              "created_at", "closed_at", "cycle_days", "lost_reason",
              "lost_stage_position"]]  # fmt: skip


def ref_activities(r: Reference, f: Filters, s: Scope, unit: str) -> pd.DataFrame:
    a = r.t["activities"]
    ok = r.owner_ok(a["employee_id"], f, s)
    ok &= r.account_attr_ok(a["account_id"], f)
    if f.product_lines or f.pipeline:
        d = r.t["deals"]
        ok &= a["deal_id"].isin(set(d.loc[r.deal_attr_ok(d, f), "id"]))
    a = a[ok & (a["status"] == "done") & in_period(a["done_at"], f)]
    a = a.assign(period=trunc(a["done_at"], unit), duration_min=a["duration_min"].fillna(0.0))
    out = a.groupby(["employee_id", "type", "period"], as_index=False, dropna=False).agg(
        activities=("id", "size"), duration_min=("duration_min", "sum")
    )
    return out.sort_values(["employee_id", "type", "period"])


def ref_orders_by_month(r: Reference, f: Filters, s: Scope) -> pd.DataFrame:
    o = r.orders(f, s)
    o = o[in_period(o["ordered_at"], f)]
    o = o.assign(month=trunc(o["ordered_at"], "month"))
    return o.groupby("month", as_index=False).agg(
        orders=("id", "size"), revenue=("amount", "sum"), customers=("account_id", "nunique")
    )


def ref_customer_summary(r: Reference, f: Filters, s: Scope) -> pd.DataFrame:
    o = r.orders(f, s)
    o = o[o["ordered_at"] < f.as_of_ts]
    o = o.assign(day=o["ordered_at"].dt.normalize())
    per = o.groupby("account_id", as_index=False).agg(
        first_order_at=("ordered_at", "min"),
        last_order_at=("ordered_at", "max"),
        orders=("id", "size"),
        order_days=("day", "nunique"),
        revenue=("amount", "sum"),
    )
    acc = r.t["accounts"][["id", "owner_id", "region", "size_band"]]
    per = per.merge(acc.rename(columns={"id": "account_id", "size_band": "segment"}))
    return per[["account_id", "owner_id", "region", "segment", "first_order_at",
                "last_order_at", "orders", "order_days", "revenue"]]  # fmt: skip


# ---- fixtures and cases ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=DIALECTS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sa.Engine, Reference]]:
    folder = tmp_path_factory.mktemp(f"ref_{request.param}")
    with fresh_engine(request.param, folder) as engine:
        seed_demo(engine, size="XS", seed=7, end=date(2026, 6, 30), force=True)
        with engine.connect() as conn:
            raw = {
                name: pd.read_sql(sa.select(Base.metadata.tables[name]), conn)
                for name in RAW_TABLES
            }
        yield engine, Reference(raw)


def case_filters(r: Reference, case: str) -> tuple[Filters, Scope]:
    emp = r.t["employees"]
    reps = emp[emp["role"] == "rep"].sort_values("id")
    team = int(reps["team_id"].iloc[0])
    rep = int(reps["id"].iloc[-1])
    other_rep = int(reps["id"].iloc[0])
    acc = r.t["accounts"]
    team_accounts = acc[acc["owner_id"].isin(r.members([team]))]
    region = str(team_accounts["region"].value_counts().index[0])
    deals = r.t["deals"]
    line = str(deals.loc[deals["owner_id"].isin(r.members([team])), "product_line"].mode()[0])
    pipeline = str(r.t["stages"]["pipeline"].iloc[0])
    if case == "admin_quarter":
        return Filters(date(2025, 10, 1), date(2026, 1, 1)), Scope.everyone()
    if case == "head_year_filtered":
        f = Filters(
            date(2025, 1, 1),
            date(2026, 1, 1),
            regions=(region,),
            product_lines=(line,),
            as_of=date(2025, 11, 15),
        )
        return f, Scope.head(team)
    if case == "rep_half_year":
        f = Filters(date(2025, 7, 1), date(2026, 1, 1), reps=(rep, other_rep), pipeline=pipeline)
        return f, Scope.rep(rep)
    if case == "team_segment":
        segment = str(acc["size_band"].dropna().sort_values().iloc[0])
        f = Filters(date(2024, 1, 1), date(2026, 6, 30), teams=(team,), segments=(segment,))
        return f, Scope.everyone()
    raise ValueError(case)


CASES = ["admin_quarter", "head_year_filtered", "rep_half_year", "team_segment"]

Query = Callable[[sa.Engine, Filters, Scope], pd.DataFrame]
RefFn = Callable[[Reference, Filters, Scope], pd.DataFrame]

PAIRS: dict[str, tuple[Query, RefFn]] = {
    "open_pipeline_by_stage": (open_pipeline_by_stage, ref_open_pipeline),
    "pipeline_snapshots": (
        lambda e, f, s: pipeline_snapshots(e, f, s, snapshot_dates(f)),
        ref_snapshots,
    ),
    "stage_high_water_marks": (stage_high_water_marks, ref_high_water_marks),
    "stage_visits": (stage_visits, ref_stage_visits),
    "stuck_deal_candidates": (stuck_deal_candidates, ref_stuck),
    "deals_closed": (deals_closed, ref_deals_closed),
    "activities_by_week": (
        activities_by_rep_type_period,
        lambda r, f, s: ref_activities(r, f, s, "week"),
    ),
    "activities_by_quarter": (
        lambda e, f, s: activities_by_rep_type_period(e, f, s, unit="quarter"),
        lambda r, f, s: ref_activities(r, f, s, "quarter"),
    ),
    "orders_by_month": (orders_by_month, ref_orders_by_month),
    "customer_summary": (customer_summary, ref_customer_summary),
}


def as_like(expected: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """``expected`` with ``actual``'s index and dtypes.

    Values are compared here, not dtypes: ``tests/test_queries.py`` checks that every
    function returns its documented dtypes on every dialect.
    """
    out = {}
    for name, dtype in actual.dtypes.items():
        col = expected[name].reset_index(drop=True)
        if str(dtype) in ("Int64", "int64", "float64", "bool"):
            col = pd.to_numeric(col.astype(object).where(col.notna(), np.nan))
        out[name] = col.astype(dtype)
    return pd.DataFrame(out, index=actual.index)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("query", sorted(PAIRS))
def test_query_matches_pandas_reference(
    seeded: tuple[sa.Engine, Reference], query: str, case: str
) -> None:
    engine, ref = seeded
    filters, scope = case_filters(ref, case)
    sql_fn, ref_fn = PAIRS[query]
    actual = sql_fn(engine, filters, scope)
    reference = ref_fn(ref, filters, scope)
    # guard against vacuous comparisons: every case returns rows from every query
    assert len(actual) > 0, (query, case)
    assert list(reference.columns) == list(actual.columns)
    expected = as_like(reference, actual)
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9, atol=1e-6)
