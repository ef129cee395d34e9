"""Aggregated funnel queries (crm_data.queries.funnel_stats) on a hand-built CRM, every dialect.

The scenario (period Q1 2024 = 2024-01-01 .. 2024-04-01, as_of = end): sales pipeline Lead(1)
Qualified(2) Proposal(3) Negotiation(4) Won(5) Lost(6); partner pipeline P-Intro(7).  Team 1
"North team" (head 10 Hal, reps 11 Ann, 12 Ben), team 2 "South team" (head 20 Ivy, rep 21 Cid);
rep 22 Dee has no team.  Accounts (owner, region, size band, industry): 100 (11, North, small,
Retail), 101 (12, North, large, -), 102 (21, South, small, Tech), 103 (22, -, -, Retail).

====  =====  =======  ===========================================  ===========================
deal  owner  account  history (before as_of unless said)            status
====  =====  =======  ===========================================  ===========================
D1    11     100      L 1-05 09h, Q 1-10, P 1-20, N 2-01, W 2-15 12h  won 2-15 12h
D2    11     100      L 1-08, P 1-15 (skip), Lost 2-10               lost 2-10 (Price)
D3    12     101      L 2-01, Q 2-05, P 2-20, Q 3-01 (back)          open
D4    21     102      L 3-10, Q 3-20                                 open
D5    21     102      L 2023-12-01, N 1-10, Lost 3-15                lost 3-15, before cohort
D6    12     101      Q 3-25 (skips Lead), P 4-05 (after as_of)      open, line "new"
D7    22     103      L 2-10, N 3-01, W 5-01 (after as_of)           won 5-01
D8    11     100      P-Intro 1-15                                   open, partner pipeline
D9    12     101      L 1-20, P 1-25, Q 2-01 (back), N 2-10          open
D10   21     102      L 2-01 (no terminal row)                       lost 2-11 (Timing)
D11   22     103      L 1-01 00h, W 4-01 00h (= as_of)               won exactly at the end
D12   11     100      L 4-01 00h (created at the end: not cohort)    open
D13   12     101      L 1-03, Q 1-06, P 1-12, Q 1-20, Lost 3-31 23h  lost mid-funnel (Price)
D14   11     100      L 2023-11-01, W 1-01 00h (exactly the start)   won, before cohort
D15   21     102      L 3-02, L 3-05 07:12 (amount change)           open
D16   22     103      L 3-01, Q 3-03, L 3-06, Q 3-08 (bounces)       open, line "new"
D17   21     102      L 2023-12-25, Q 2023-12-28, Lost 1-04 01:12    lost (Timing), before cohort
D18   12     101      Lost 2-01 -> closed 2-03 (no open stage)       lost 2-03 (Price)
====  =====  =======  ===========================================  ===========================

The cohort is D1-D4, D6-D11, D13, D15, D16, D18 (14 deals).  The funnel counts a deal with its
amount at as_of: D6 with 700 (900 only from 4-05), D7 with 400 (450 only when won on 5-01).
Each dialect's database is built once for the module.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.funnel import regression_rate
from crm_data.filters import Filters, Scope
from crm_data.portable import BIN_EPSILON, bin_down, days_between, floor_
from crm_data.queries import (
    GROUPINGS,
    closed_deal_stats,
    deals_closed,
    funnel_facts,
    funnel_stages,
    lost_deal_reasons,
    open_deal_counts,
    pipeline_names,
    pipeline_pairs,
    pipeline_snapshots,
    quota_total,
    stage_durations,
    stage_high_water_marks,
    stage_transitions,
    stage_visits,
)
from crm_data.queries.frames import read_frame
from crm_data.queries.history import dates_table
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import scenario_fixture
from tests.support.frames import check, frame

dt = datetime
NA = pd.NA
NAN = float("nan")
ADMIN = Scope.everyone()
Q1 = Filters(date(2024, 1, 1), date(2024, 4, 1))
LEAD, QUAL, PROP, NEGO, WON, LOST, P_INTRO = 1, 2, 3, 4, 5, 6, 7
NAMES = {10: "Hal", 11: "Ann", 12: "Ben", 20: "Ivy", 21: "Cid", 22: "Dee"}


def build_scenario() -> CrmBuilder:
    b = CrmBuilder()
    b.team(1, "North team", region="North", head_id=10)
    b.team(2, "South team", region="South", head_id=20)
    for emp, team, role in [(10, 1, "head"), (11, 1, "rep"), (12, 1, "rep"), (20, 2, "head"),
                            (21, 2, "rep"), (22, None, "rep")]:  # fmt: skip
        b.employee(emp, team_id=team, role=role, name=NAMES[emp])
    for account, owner, region, size, industry in [
        (100, 11, "North", "small", "Retail"), (101, 12, "North", "large", None),
        (102, 21, "South", "small", "Tech"), (103, 22, None, None, "Retail"),
    ]:  # fmt: skip
        b.account(account, owner_id=owner, region=region, size_band=size)
        b.rows["accounts"][-1]["industry"] = industry
    b.stage(LEAD, 1, "Lead", probability=0.1, rot_days=10)
    b.stage(QUAL, 2, "Qualified", probability=0.3)
    b.stage(PROP, 3, "Proposal", probability=0.6, rot_days=21)
    b.stage(NEGO, 4, "Negotiation", probability=0.8)
    b.stage(WON, 5, "Won", probability=1.0, is_won=True)
    b.stage(LOST, 6, "Lost", is_lost=True)
    b.stage(P_INTRO, 1, "P-Intro", pipeline="partner", probability=0.2)
    b.lost_reason(1, "Price")
    b.lost_reason(2, "Timing")

    def deal(id: int, owner: int, account: int, history: list, source: str | None = None,
             **kw: object) -> None:  # fmt: skip
        b.deal(id, owner, account, history=history, **kw)  # type: ignore[arg-type]
        b.rows["deals"][-1]["source"] = source

    deal(1, 11, 100, source="web", status="won", closed_at=dt(2024, 2, 15, 12), history=[
        (LEAD, dt(2024, 1, 5, 9), 1000.0), (QUAL, dt(2024, 1, 10), 1000.0),
        (PROP, dt(2024, 1, 20), 1200.0), (NEGO, dt(2024, 2, 1), 1200.0),
        (WON, dt(2024, 2, 15, 12), 1500.0)])  # fmt: skip
    deal(2, 11, 100, source="web", status="lost", closed_at=dt(2024, 2, 10), lost_reason_id=1,
         history=[(LEAD, dt(2024, 1, 8), 500.0), (PROP, dt(2024, 1, 15), 500.0),
                  (LOST, dt(2024, 2, 10), 500.0)])  # fmt: skip
    deal(3, 12, 101, source="referral", history=[
        (LEAD, dt(2024, 2, 1), 2000.0), (QUAL, dt(2024, 2, 5), 2000.0),
        (PROP, dt(2024, 2, 20), 2000.0), (QUAL, dt(2024, 3, 1), 2500.0)])  # fmt: skip
    deal(4, 21, 102, history=[(LEAD, dt(2024, 3, 10), 800.0), (QUAL, dt(2024, 3, 20), 800.0)])
    deal(5, 21, 102, status="lost", closed_at=dt(2024, 3, 15), history=[
        (LEAD, dt(2023, 12, 1), 3000.0), (NEGO, dt(2024, 1, 10), 3000.0),
        (LOST, dt(2024, 3, 15), 3000.0)])  # fmt: skip
    deal(6, 12, 101, source="web", product_line="new", history=[
        (QUAL, dt(2024, 3, 25), 700.0), (PROP, dt(2024, 4, 5), 900.0)])  # fmt: skip
    deal(7, 22, 103, status="won", closed_at=dt(2024, 5, 1), history=[
        (LEAD, dt(2024, 2, 10), 400.0), (NEGO, dt(2024, 3, 1), 400.0),
        (WON, dt(2024, 5, 1), 450.0)])  # fmt: skip
    deal(8, 11, 100, history=[(P_INTRO, dt(2024, 1, 15), 100.0)])
    deal(9, 12, 101, history=[
        (LEAD, dt(2024, 1, 20), 100.0), (PROP, dt(2024, 1, 25), 100.0),
        (QUAL, dt(2024, 2, 1), 100.0), (NEGO, dt(2024, 2, 10), 100.0)])  # fmt: skip
    deal(10, 21, 102, status="lost", closed_at=dt(2024, 2, 11), lost_reason_id=2,
         history=[(LEAD, dt(2024, 2, 1), 300.0)])  # fmt: skip
    deal(11, 22, 103, status="won", closed_at=dt(2024, 4, 1), history=[
        (LEAD, dt(2024, 1, 1), 600.0), (WON, dt(2024, 4, 1), 600.0)])  # fmt: skip
    deal(12, 11, 100, history=[(LEAD, dt(2024, 4, 1), 50.0)])
    deal(13, 12, 101, source="referral", status="lost", closed_at=dt(2024, 3, 31, 23),
         lost_reason_id=1, history=[
        (LEAD, dt(2024, 1, 3), 250.0), (QUAL, dt(2024, 1, 6), 250.0),
        (PROP, dt(2024, 1, 12), 250.0), (QUAL, dt(2024, 1, 20), 250.0),
        (LOST, dt(2024, 3, 31, 23), 250.0)])  # fmt: skip
    deal(14, 11, 100, status="won", closed_at=dt(2024, 1, 1), history=[
        (LEAD, dt(2023, 11, 1), 900.0), (WON, dt(2024, 1, 1), 900.0)])  # fmt: skip
    deal(15, 21, 102, history=[(LEAD, dt(2024, 3, 2), 150.0), (LEAD, dt(2024, 3, 5, 7, 12), 175.0)])
    deal(16, 22, 103, product_line="new", history=[
        (LEAD, dt(2024, 3, 1), 50.0), (QUAL, dt(2024, 3, 3), 50.0),
        (LEAD, dt(2024, 3, 6), 50.0), (QUAL, dt(2024, 3, 8), 50.0)])  # fmt: skip
    deal(17, 21, 102, status="lost", closed_at=dt(2024, 1, 4, 1, 12), lost_reason_id=2, history=[
        (LEAD, dt(2023, 12, 25), 120.0), (QUAL, dt(2023, 12, 28), 120.0),
        (LOST, dt(2024, 1, 4, 1, 12), 120.0)])  # fmt: skip
    deal(18, 12, 101, status="lost", closed_at=dt(2024, 2, 3), lost_reason_id=1,
         created_at=dt(2024, 2, 1), history=[(LOST, dt(2024, 2, 1), 80.0)])  # fmt: skip

    # quotas: (employee, start, end, target)
    for i, (emp, start, end, target) in enumerate([
        (11, date(2024, 1, 1), date(2024, 4, 1), 10000.0),
        (12, date(2024, 1, 1), date(2024, 4, 1), 8000.0),
        (21, date(2024, 1, 1), date(2024, 4, 1), 5000.0),
        (22, date(2024, 1, 1), date(2024, 4, 1), 3000.0),
        (11, date(2024, 1, 1), date(2024, 2, 1), 1000.0),  # a month inside the quarter
        (11, date(2024, 4, 1), date(2024, 7, 1), 12000.0),  # next quarter
        (12, date(2023, 12, 1), date(2024, 1, 31), 500.0),  # starts before
    ], start=1):  # fmt: skip
        b.row("quotas", id=i, employee_id=emp, period_start=start, period_end=end,
              revenue_target=target)  # fmt: skip
    return b


SCENARIO = build_scenario()


crm = scenario_fixture(lambda: SCENARIO)


def table(name: str) -> pd.DataFrame:
    return pd.DataFrame(SCENARIO.rows[name])


def group_of(group: str) -> pd.Series:
    """deal id -> the deal's ``group`` value, from the scenario's rows."""
    deals = table("deals").set_index("id")
    if group in ("product_line", "source"):
        values = deals[group]
    elif group in ("region", "industry", "size_band"):
        values = deals["account_id"].map(table("accounts").set_index("id")[group])
    else:
        emp = table("employees").set_index("id")
        if group == "rep":
            values = deals["owner_id"].map(emp["name"] + " (#" + emp.index.astype(str) + ")")
        else:
            team_names = table("teams").set_index("id")["name"]
            values = deals["owner_id"].map(emp["team_id"]).map(team_names)
    return values.astype(object).where(values.notna(), "(none)")


def amounts_at(as_of: datetime) -> pd.Series:
    """deal id -> the amount of the deal's last history row before ``as_of``."""
    rows = table("deal_stage_history").sort_values(["deal_id", "entered_at", "id"])
    return rows[rows["entered_at"] < as_of].groupby("deal_id")["amount"].last()


def tenths(days: pd.Series) -> pd.Series:
    """The 0.1-day bin lower edge of each value, as the SQL does it."""
    return np.floor(days * 10 + BIN_EPSILON) / 10


def aggregate(
    per_item: pd.DataFrame, keys: list[str], sums: dict[str, str], count: str
) -> pd.DataFrame:
    grouped = per_item.groupby(keys, dropna=False, sort=False)
    out = grouped.size().rename(count).to_frame()
    for name, column in sums.items():
        out[name] = grouped[column].sum()
    return out.reset_index()


def same_rows(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """``actual`` equals ``expected`` up to row order (values compared, dtypes from actual)."""
    expected = expected[list(actual.columns)].astype(actual.dtypes.to_dict())
    sort = {"by": keys, "na_position": "first", "kind": "stable"}
    check(
        actual.sort_values(**sort).reset_index(drop=True),
        expected.sort_values(**sort).reset_index(drop=True),
    )


# ---- portable floor and bins ----------------------------------------------------------------


def test_floor_and_bin_down(crm: sa.Engine) -> None:
    values = [-2.5, -2.0, -0.1, 0.0, 0.1, 2.0, 2.5, 2.9999, 41.125]
    selects = [
        sa.select(sa.literal(i).label("i"), floor_(sa.literal(v, sa.Double)).label("f"))
        for i, v in enumerate(values)
    ]
    got = read_frame(crm, sa.select(sa.union_all(*selects).subquery()), {"i": "int", "f": "float"})
    assert got.sort_values("i")["f"].tolist() == [-3, -2, -1, 0, 0, 2, 2, 2, 41]
    # every 7th tenth of a day up to 100 days, from timestamps: exact edges stay in their bin
    t0 = dt(2024, 1, 1)
    ks = list(range(-21, 1000, 7))
    moments = dates_table([t0 + timedelta(seconds=8640 * k) for k in ks])
    stmt = sa.select(
        moments.c.t,
        bin_down(days_between(sa.literal(t0, sa.DateTime), moments.c.t), 10).label("bin"),
    )
    got = read_frame(crm, stmt, {"t": "datetime", "bin": "float"}).sort_values("t")
    assert got["bin"].tolist() == ks
    # just below an edge: one second short of 3.3 days is in bin 3.2
    below = t0 + timedelta(days=3.3) - timedelta(seconds=1)
    days = days_between(sa.literal(t0, sa.DateTime), sa.literal(below, sa.DateTime))
    stmt = sa.select(bin_down(days).label("bin"))
    assert read_frame(crm, stmt, {"bin": "float"})["bin"].tolist() == [32]


# ---- funnel facts ---------------------------------------------------------------------------

FACT_COLS = ("max_open_position strict_ok_position status regressed lost_stage_position deals "
             "amount")  # fmt: skip
FACT_DTYPES = {"max_open_position": "Int64", "strict_ok_position": "Int64", "status": "str",
               "regressed": "bool", "lost_stage_position": "Int64",
               "amount": "float64"}  # fmt: skip


def test_funnel_facts(crm: sa.Engine) -> None:
    expected = frame([
        (NA, NA, "lost", False, NA, 1, 80.0),  # D18
        (1, NA, "lost", False, 1, 1, 300.0),  # D10
        (1, NA, "open", False, NA, 3, 875.0),  # D8, D11, D15
        (2, NA, "open", False, NA, 2, 1500.0),  # D4, D6 (700 at as_of)
        (2, NA, "open", True, NA, 1, 50.0),  # D16
        (3, NA, "lost", False, 3, 1, 500.0),  # D2
        (3, NA, "lost", True, 2, 1, 250.0),  # D13
        (3, NA, "open", True, NA, 1, 2500.0),  # D3
        (4, NA, "open", False, NA, 1, 400.0),  # D7 (450 only once won, after as_of)
        (4, NA, "open", True, NA, 1, 100.0),  # D9
        (4, NA, "won", False, NA, 1, 1500.0),  # D1
    ], FACT_COLS, FACT_DTYPES)  # fmt: skip
    check(funnel_facts(crm, Q1, ADMIN), expected)


def test_funnel_facts_strict(crm: sa.Engine) -> None:
    expected = frame([
        (NA, NA, "lost", False, NA, 1, 80.0),  # D18
        (1, 1, "lost", False, 1, 1, 300.0),  # D10
        (1, 1, "open", False, NA, 3, 875.0),  # D8 (partner), D11, D15
        (2, NA, "open", False, NA, 1, 700.0),  # D6 never entered Lead
        (2, 2, "open", False, NA, 1, 800.0),  # D4
        (2, 2, "open", True, NA, 1, 50.0),  # D16
        (3, 1, "lost", False, 3, 1, 500.0),  # D2 skipped Qualified
        (3, 3, "lost", True, 2, 1, 250.0),  # D13
        (3, 3, "open", True, NA, 1, 2500.0),  # D3
        (4, 1, "open", False, NA, 1, 400.0),  # D7 skipped Qualified
        (4, 2, "open", True, NA, 1, 100.0),  # D9 entered Proposal before Qualified
        (4, 4, "won", False, NA, 1, 1500.0),  # D1
    ], FACT_COLS, FACT_DTYPES)  # fmt: skip
    check(funnel_facts(crm, Q1, ADMIN, strict=True), expected)


FACT_KEYS = ["max_open_position", "strict_ok_position", "status", "regressed",
             "lost_stage_position"]  # fmt: skip


def facts_reference(hwm: pd.DataFrame, as_of: datetime, group: str | None = None) -> pd.DataFrame:
    per_deal = hwm.assign(amount=hwm["deal_id"].map(amounts_at(as_of)))
    keys = FACT_KEYS
    if group is not None:
        per_deal["group"] = per_deal["deal_id"].map(group_of(group))
        keys = ["group", *keys]
    return aggregate(per_deal, keys, {"amount": "amount"}, "deals")


#: Cohorts, as_of dates, narrowing and scopes the funnel facts are checked on.
FACT_CASES = pytest.mark.parametrize(
    ("filters", "scope"),
    [
        (Q1, ADMIN),
        (Filters(Q1.start, Q1.end, as_of=date(2024, 6, 1)), ADMIN),
        (Filters(date(2024, 2, 1), date(2024, 3, 1), regions=("North",)), ADMIN),
        (Q1, Scope.head(1)),
        (Filters(Q1.start, Q1.end, pipeline="sales", product_lines=("core",)), Scope.rep(12)),
    ],
    ids=["q1", "later_as_of", "feb_north", "head1", "rep12_sales_core"],
)


@FACT_CASES
def test_funnel_facts_equal_aggregated_high_water_marks(
    crm: sa.Engine, filters: Filters, scope: Scope
) -> None:
    hwm = stage_high_water_marks(crm, filters, scope)
    reference = facts_reference(hwm, filters.as_of_ts)
    same_rows(funnel_facts(crm, filters, scope, strict=True), reference, FACT_KEYS)
    loose = facts_reference(hwm.assign(strict_ok_position=pd.NA), filters.as_of_ts)
    same_rows(funnel_facts(crm, filters, scope), loose, FACT_KEYS)


@FACT_CASES
def test_reach_only_facts_count_the_same_deals_as_far(
    crm: sa.Engine, filters: Filters, scope: Scope
) -> None:
    full = funnel_facts(crm, filters, scope)
    reach = funnel_facts(crm, filters, scope, reach_only=True)
    keys = ["max_open_position", "status"]
    counted = [f.groupby(keys, dropna=False)["deals"].sum() for f in (full, reach)]
    pd.testing.assert_series_equal(*counted)
    # what it does not read it does not pretend to know: no regression, no lost stage, no amount
    assert "regressed" not in reach and reach["lost_stage_position"].isna().all()
    assert reach["amount"].isna().all()
    with pytest.raises(ValueError, match="regressed"):
        regression_rate(reach)


def test_funnel_facts_scope(crm: sa.Engine) -> None:
    expected = frame([
        (NA, NA, "lost", False, NA, 1, 80.0),  # D18
        (2, NA, "open", False, NA, 1, 700.0),  # D6
        (3, NA, "lost", True, 2, 1, 250.0),  # D13
        (3, NA, "open", True, NA, 1, 2500.0),  # D3
        (4, NA, "open", True, NA, 1, 100.0),  # D9
    ], FACT_COLS, FACT_DTYPES)  # fmt: skip
    check(funnel_facts(crm, Q1, Scope.rep(12)), expected)
    # a filter for another rep cannot widen a rep's scope
    assert funnel_facts(crm, Filters(Q1.start, Q1.end, reps=(11,)), Scope.rep(12)).empty
    head2 = funnel_facts(crm, Q1, Scope.head(2))  # D4, D10, D15
    assert head2["deals"].sum() == 3 and head2["amount"].sum() == 1275.0


def test_funnel_facts_by_team(crm: sa.Engine) -> None:
    got = funnel_facts(crm, Q1, ADMIN, group="team")
    assert got.columns.tolist()[0] == "group" and got["group"].dtype == "str"
    assert got.groupby("group")["deals"].sum().to_dict() == {
        "(none)": 3, "North team": 8, "South team": 3}  # fmt: skip
    expected = frame([
        ("(none)", 1, NA, "open", False, NA, 1, 600.0),  # D11
        ("(none)", 2, NA, "open", True, NA, 1, 50.0),  # D16
        ("(none)", 4, NA, "open", False, NA, 1, 400.0),  # D7
        ("South team", 1, NA, "lost", False, 1, 1, 300.0),  # D10
        ("South team", 1, NA, "open", False, NA, 1, 175.0),  # D15
        ("South team", 2, NA, "open", False, NA, 1, 800.0),  # D4
    ], "group " + FACT_COLS, {**FACT_DTYPES, "group": "str"})  # fmt: skip
    check(got[got["group"] != "North team"].reset_index(drop=True), expected)


# ---- stage durations ------------------------------------------------------------------------

DUR_COLS = "stage_id position duration_days censored visits"
DUR_DTYPES = {"duration_days": "float64", "censored": "bool"}


def test_stage_durations(crm: sa.Engine) -> None:
    f, t = False, True
    expected = frame([
        (LEAD, 1, 2.0, f, 2), (LEAD, 1, 3.0, f, 1), (LEAD, 1, 3.3, f, 1), (LEAD, 1, 4.0, f, 1),
        (LEAD, 1, 4.6, f, 1), (LEAD, 1, 5.0, f, 1), (LEAD, 1, 7.0, f, 1), (LEAD, 1, 10.0, f, 2),
        (LEAD, 1, 20.0, f, 1), (LEAD, 1, 26.7, t, 1), (LEAD, 1, 91.0, t, 1),
        (QUAL, 2, 3.0, f, 1), (QUAL, 2, 6.0, f, 1), (QUAL, 2, 7.0, t, 1), (QUAL, 2, 9.0, f, 1),
        (QUAL, 2, 10.0, f, 1), (QUAL, 2, 12.0, t, 1), (QUAL, 2, 15.0, f, 1),
        (QUAL, 2, 24.0, t, 1), (QUAL, 2, 31.0, t, 1), (QUAL, 2, 71.9, f, 1),
        (PROP, 3, 7.0, f, 1), (PROP, 3, 8.0, f, 1), (PROP, 3, 10.0, f, 1), (PROP, 3, 12.0, f, 1),
        (PROP, 3, 26.0, f, 1),
        (NEGO, 4, 14.5, f, 1), (NEGO, 4, 31.0, t, 1), (NEGO, 4, 51.0, t, 1),
        (P_INTRO, 1, 77.0, t, 1),
    ], DUR_COLS, DUR_DTYPES)  # fmt: skip
    check(stage_durations(crm, Q1, ADMIN), expected)


def durations_reference(visits: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    per_visit = visits.assign(duration_days=tenths(visits["duration_days"]))
    keys = ["stage_id", "position", "duration_days", "censored"]
    if group is not None:
        per_visit["group"] = per_visit["deal_id"].map(group_of(group))
        keys = ["group", *keys]
    return aggregate(per_visit, keys, {}, "visits")


@pytest.mark.parametrize(
    "scope", [ADMIN, Scope.rep(12), Scope.head(2)], ids=["admin", "rep12", "head2"]
)
def test_stage_durations_equal_binned_visits(crm: sa.Engine, scope: Scope) -> None:
    visits = stage_visits(crm, Q1, scope)
    keys = ["stage_id", "duration_days", "censored"]
    same_rows(stage_durations(crm, Q1, scope), durations_reference(visits), keys)
    later = Filters(Q1.start, Q1.end, as_of=date(2024, 3, 1))
    visits = stage_visits(crm, later, scope)
    same_rows(stage_durations(crm, later, scope), durations_reference(visits), keys)


# ---- transitions ----------------------------------------------------------------------------


def test_stage_transitions(crm: sa.Engine) -> None:
    expected = frame([
        (NA, LEAD, 11, 11), (NA, QUAL, 1, 1), (NA, LOST, 1, 1), (NA, P_INTRO, 1, 1),
        (LEAD, LEAD, 1, 1), (LEAD, QUAL, 6, 5), (LEAD, PROP, 2, 2), (LEAD, NEGO, 1, 1),
        (QUAL, LEAD, 1, 1), (QUAL, PROP, 3, 3), (QUAL, NEGO, 1, 1), (QUAL, LOST, 1, 1),
        (PROP, QUAL, 3, 3), (PROP, NEGO, 1, 1), (PROP, LOST, 1, 1),
        (NEGO, WON, 1, 1),
    ], "from_stage_id to_stage_id moves deals", {"from_stage_id": "Int64"})  # fmt: skip
    check(stage_transitions(crm, Q1, ADMIN), expected)
    # rep 21 (D4, D10, D15), seen by the head of team 2
    expected = frame([
        (NA, LEAD, 3, 3), (LEAD, LEAD, 1, 1), (LEAD, QUAL, 1, 1),
    ], "from_stage_id to_stage_id moves deals", {"from_stage_id": "Int64"})  # fmt: skip
    check(stage_transitions(crm, Q1, Scope.head(2)), expected)


# ---- closed deals ---------------------------------------------------------------------------

CLOSED_COLS = "status cycle_days deals amount cycle_days_sum"
CLOSED_DTYPES = {"status": "str", "cycle_days": "float64", "amount": "float64",
                 "cycle_days_sum": "float64"}  # fmt: skip


def test_closed_deal_stats(crm: sa.Engine) -> None:
    expected = frame([
        ("lost", 2.0, 1, 80.0, 2.0),  # D18
        ("lost", 10.0, 2, 420.0, 20.05),  # D10 (10.0), D17 (10.05)
        ("lost", 33.0, 1, 500.0, 33.0),  # D2
        ("lost", 88.9, 1, 250.0, 88 + 23 / 24),  # D13
        ("lost", 105.0, 1, 3000.0, 105.0),  # D5
        ("won", 41.1, 1, 1500.0, 41.125),  # D1
        ("won", 61.0, 1, 900.0, 61.0),  # D14, closed exactly at the start
    ], CLOSED_COLS, CLOSED_DTYPES)  # fmt: skip
    check(closed_deal_stats(crm, Q1, ADMIN), expected)
    by_source = closed_deal_stats(crm, Q1, ADMIN, group="source")
    expected = frame([
        ("(none)", "lost", 2.0, 1, 80.0, 2.0),
        ("(none)", "lost", 10.0, 2, 420.0, 20.05),
        ("(none)", "lost", 105.0, 1, 3000.0, 105.0),
        ("(none)", "won", 61.0, 1, 900.0, 61.0),
        ("referral", "lost", 88.9, 1, 250.0, 88 + 23 / 24),
        ("web", "lost", 33.0, 1, 500.0, 33.0),
        ("web", "won", 41.1, 1, 1500.0, 41.125),
    ], "group " + CLOSED_COLS, {**CLOSED_DTYPES, "group": "str"})  # fmt: skip
    check(by_source, expected)
    # without cycle bins: one row per status (the velocity and coverage need no median)
    unbinned = closed_deal_stats(crm, Q1, ADMIN, binned=False)
    expected = frame([
        ("lost", NAN, 6, 4250.0, 2.0 + 20.05 + 33.0 + 88 + 23 / 24 + 105.0),
        ("won", NAN, 2, 2400.0, 41.125 + 61.0),
    ], CLOSED_COLS, CLOSED_DTYPES)  # fmt: skip
    check(unbinned, expected)


def closed_reference(closed: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    per_deal = closed.assign(bin=tenths(closed["cycle_days"]))
    keys = ["status", "bin"]
    if group is not None:
        per_deal["group"] = per_deal["deal_id"].map(group_of(group))
        keys = ["group", *keys]
    sums = {"amount": "amount", "cycle_days_sum": "cycle_days"}
    out = aggregate(per_deal, keys, sums, "deals")
    return out.rename(columns={"bin": "cycle_days"})


@pytest.mark.parametrize(
    ("filters", "scope"),
    [
        (Q1, ADMIN),
        (Filters(date(2024, 1, 1), date(2024, 7, 1)), Scope.rep(22)),
        (Filters(date(2023, 10, 1), date(2024, 4, 1), teams=(2,)), Scope.head(2)),
    ],
    ids=["q1", "rep22_half_year", "head2_team2"],
)
def test_closed_deal_stats_equal_aggregated_deals_closed(
    crm: sa.Engine, filters: Filters, scope: Scope
) -> None:
    closed = deals_closed(crm, filters, scope)
    same_rows(
        closed_deal_stats(crm, filters, scope), closed_reference(closed), ["status", "cycle_days"]
    )


def test_lost_deal_reasons(crm: sa.Engine) -> None:
    cols = "lost_stage_position owner_id lost_reason deals amount"
    dtypes = {"lost_stage_position": "Int64", "lost_reason": "str", "amount": "float64"}
    expected = frame([
        (NA, 12, "Price", 1, 80.0),  # D18 never entered an open stage
        (1, 21, "Timing", 1, 300.0),  # D10
        (2, 12, "Price", 1, 250.0),  # D13: back in Qualified when lost
        (2, 21, "Timing", 1, 120.0),  # D17
        (3, 11, "Price", 1, 500.0),  # D2
        (4, 21, None, 1, 3000.0),  # D5, no reason given
    ], cols, dtypes)  # fmt: skip
    check(lost_deal_reasons(crm, Q1, ADMIN), expected)
    check(lost_deal_reasons(crm, Q1, Scope.rep(12)), expected.iloc[[0, 2]].reset_index(drop=True))
    # agrees with deals_closed
    closed = deals_closed(crm, Q1, ADMIN)
    lost = closed[closed["status"] == "lost"]
    assert lost["amount"].sum() == expected["amount"].sum() and len(lost) == 6


# ---- groupings ------------------------------------------------------------------------------


def test_every_grouping(crm: sa.Engine) -> None:
    hwm = stage_high_water_marks(crm, Q1, ADMIN)
    visits = stage_visits(crm, Q1, ADMIN)
    closed = deals_closed(crm, Q1, ADMIN)
    for group in GROUPINGS:
        keys = ["group", *FACT_KEYS]
        same_rows(
            funnel_facts(crm, Q1, ADMIN, group=group, strict=True),
            facts_reference(hwm, Q1.as_of_ts, group),
            keys,
        )
        keys = ["group", "stage_id", "duration_days", "censored"]
        got = stage_durations(crm, Q1, ADMIN, group=group)
        same_rows(got, durations_reference(visits, group), keys)
        keys = ["group", "status", "cycle_days"]
        same_rows(
            closed_deal_stats(crm, Q1, ADMIN, group=group), closed_reference(closed, group), keys
        )
    groups = funnel_facts(crm, Q1, ADMIN, group="industry").groupby("group")["deals"].sum()
    assert groups.to_dict() == {"(none)": 5, "Retail": 6, "Tech": 3}
    groups = funnel_facts(crm, Q1, ADMIN, group="rep").groupby("group")["deals"].sum()
    assert groups.to_dict() == {"Ann (#11)": 3, "Ben (#12)": 5, "Cid (#21)": 3, "Dee (#22)": 3}


def test_unknown_group(crm: sa.Engine) -> None:
    for query in (funnel_facts, stage_durations, closed_deal_stats):
        with pytest.raises(ValueError, match="team, rep, region"):
            query(crm, Q1, ADMIN, group="colour")
    with pytest.raises(ValueError, match="Unknown group 'owner_id'"):
        pipeline_pairs(crm, Q1, ADMIN, Q1.start, Q1.end, group="owner_id")


# ---- pipeline pairs, quotas, stages ---------------------------------------------------------

PAIR_COLS = "deal_id position_0 amount_0 position_1 amount_1 status_1"
PAIR_DTYPES = {"position_0": "Int64", "amount_0": "float64", "position_1": "Int64",
               "amount_1": "float64", "status_1": "str"}  # fmt: skip


def test_pipeline_pairs(crm: sa.Engine) -> None:
    d0, d1 = date(2024, 2, 1), date(2024, 4, 1)
    expected = frame([
        (1, 3, 1200.0, NA, NAN, "won"),
        (2, 3, 500.0, NA, NAN, "lost"),
        (3, NA, NAN, 2, 2500.0, "open"),  # created exactly at d0: not open at d0
        (4, NA, NAN, 2, 800.0, "open"),
        (5, 4, 3000.0, NA, NAN, "lost"),
        (6, NA, NAN, 2, 700.0, "open"),
        (7, NA, NAN, 4, 400.0, "open"),
        (8, 1, 100.0, 1, 100.0, "open"),
        (9, 3, 100.0, 4, 100.0, "open"),
        (11, 1, 600.0, 1, 600.0, "open"),  # closed exactly at d1: still open at d1
        (13, 2, 250.0, NA, NAN, "lost"),
        (15, NA, NAN, 1, 175.0, "open"),
        (16, NA, NAN, 2, 50.0, "open"),
    ], PAIR_COLS, PAIR_DTYPES)  # fmt: skip
    got = pipeline_pairs(crm, Q1, ADMIN, d0, d1)
    check(got, expected)
    # the same deals, stages and amounts as the two snapshots
    snaps = pipeline_snapshots(crm, Q1, ADMIN, [d0, d1])
    for i, day in enumerate((d0, d1)):
        snap = snaps[snaps["snapshot_date"] == pd.Timestamp(day)].set_index("deal_id")
        side = got.dropna(subset=[f"position_{i}"]).set_index("deal_id")
        assert side.index.tolist() == snap.index.tolist()
        assert side[f"position_{i}"].tolist() == snap["position"].tolist()
        assert side[f"amount_{i}"].tolist() == snap["amount"].tolist()
    # grouped by size band, scoped to the head of team 1 (reps 11, 12)
    got = pipeline_pairs(crm, Q1, Scope.head(1), d0, d1, group="size_band")
    assert got.columns.tolist() == ["deal_id", "group", *PAIR_COLS.split()[1:]]
    assert got["deal_id"].tolist() == [1, 2, 3, 6, 8, 9, 13]
    assert got["group"].tolist() == ["small", "small", "large", "large", "small", "large", "large"]
    with pytest.raises(ValueError, match="before"):
        pipeline_pairs(crm, Q1, ADMIN, d1, d0)
    assert pipeline_pairs(crm, Q1, ADMIN, date(2020, 1, 1), date(2020, 2, 1)).empty


def test_open_deal_counts(crm: sa.Engine) -> None:
    # open at 1 Apr 2024 (= Q1's as_of): the position_1 side of test_pipeline_pairs
    check(
        open_deal_counts(crm, Q1, ADMIN),
        frame([(9, 5425.0)], "open_deals amount", {"amount": "float64"}),
    )
    pairs = pipeline_pairs(crm, Q1, ADMIN, date(2024, 2, 1), date(2024, 4, 1))
    open_at_end = pairs.dropna(subset=["position_1"]).set_index("deal_id")
    by_team = open_at_end.groupby(group_of("team").reindex(open_at_end.index))
    expected = (
        pd.DataFrame({"open_deals": by_team.size(), "amount": by_team["amount_1"].sum()})
        .rename_axis("group")
        .reset_index()
    )
    same_rows(open_deal_counts(crm, Q1, ADMIN, group="team"), expected, ["group"])
    # scoped: the head of team 1 sees deals 3, 6, 8, 9 (reps 11 and 12)
    check(open_deal_counts(crm, Q1, Scope.head(1)),
          frame([(4, 3400.0)], "open_deals amount", {"amount": "float64"}))  # fmt: skip
    # nothing open before the first deal
    early = Filters(date(2023, 1, 1), date(2023, 2, 1))
    check(
        open_deal_counts(crm, early, ADMIN),
        frame([(0, 0.0)], "open_deals amount", {"amount": "float64"}),
    )


def test_quota_total(crm: sa.Engine) -> None:
    start, end = Q1.start, Q1.end
    assert quota_total(crm, Q1, ADMIN, start, end) == 27000.0
    assert quota_total(crm, Filters(start, end, teams=(1,)), ADMIN, start, end) == 19000.0
    assert quota_total(crm, Filters(start, end, reps=(21,)), ADMIN, start, end) == 5000.0
    assert quota_total(crm, Q1, Scope.rep(12), start, end) == 8000.0
    assert quota_total(crm, Q1, Scope.head(1), start, end) == 19000.0
    assert quota_total(crm, Filters(start, end, reps=(21,)), Scope.head(1), start, end) == 0.0
    # region and product-line filters do not narrow quotas
    narrow = Filters(start, end, regions=("South",), product_lines=("new",))
    assert quota_total(crm, narrow, ADMIN, start, end) == 27000.0
    assert quota_total(crm, Q1, ADMIN, date(2024, 1, 1), date(2024, 7, 1)) == 39000.0
    assert quota_total(crm, Q1, ADMIN, date(2024, 1, 1), date(2024, 2, 1)) == 1000.0
    assert quota_total(crm, Q1, ADMIN, date(2030, 1, 1), date(2030, 2, 1)) == 0.0


def test_funnel_stages(crm: sa.Engine) -> None:
    cols = "stage_id stage position probability rot_days pipeline"
    dtypes = {"stage": "str", "probability": "float64", "rot_days": "Int64", "pipeline": "str"}
    sales = frame([
        (LEAD, "Lead", 1, 0.1, 10, "sales"),
        (QUAL, "Qualified", 2, 0.3, NA, "sales"),
        (PROP, "Proposal", 3, 0.6, 21, "sales"),
        (NEGO, "Negotiation", 4, 0.8, NA, "sales"),
    ], cols, dtypes)  # fmt: skip
    check(funnel_stages(crm, None), sales)  # the pipeline with the most deals
    check(funnel_stages(crm, "sales"), sales)
    check(funnel_stages(crm, "partner"), frame([(P_INTRO, "P-Intro", 1, 0.2, NA, "partner")],
                                               cols, dtypes))  # fmt: skip
    assert funnel_stages(crm, "nope").empty
    every = funnel_stages(crm, "sales", terminal=True)
    assert every.columns.tolist() == [*cols.split(), "is_won", "is_lost"]
    assert every["stage_id"].tolist() == [LEAD, QUAL, PROP, NEGO, WON, LOST]
    assert every["is_won"].tolist() == [False] * 4 + [True, False]
    assert every["is_lost"].tolist() == [False] * 5 + [True]
    assert pipeline_names(crm) == ["partner", "sales"]
    assert math.isclose(funnel_stages(crm)["probability"].sum(), 1.8)


def test_the_default_pipeline_is_the_one_with_the_most_deals_in_scope(
    empty_engine: sa.Engine,
) -> None:
    """Rep 11 sells through partners, rep 12 directly: each gets their own pipeline by default;
    a rep without deals and everyone else get the busiest pipeline overall."""
    b = CrmBuilder()
    b.team(1, head_id=10)
    for emp, role in [(10, "head"), (11, "rep"), (12, "rep"), (13, "rep")]:
        b.employee(emp, team_id=1, role=role)
    b.account(100, owner_id=11)
    b.stage(LEAD, 1, "Lead", probability=0.1)
    b.stage(P_INTRO, 1, "P-Intro", pipeline="partner", probability=0.2)
    for deal in (1, 2):
        b.deal(deal, 11, 100, history=[(P_INTRO, dt(2024, 1, deal), 100.0)])
    for deal in (3, 4, 5):
        b.deal(deal, 12, 100, history=[(LEAD, dt(2024, 1, deal), 100.0)])
    engine = b.load(empty_engine)
    default = funnel_stages(engine, None)
    assert default["pipeline"].unique().tolist() == ["sales"]  # 3 deals against 2
    assert funnel_stages(engine, None, Scope.rep(11))["stage_id"].tolist() == [P_INTRO]
    assert funnel_stages(engine, None, Scope.rep(12))["stage_id"].tolist() == [LEAD]
    assert funnel_stages(engine, None, Scope.rep(13))["stage_id"].tolist() == [LEAD]  # no deals
    assert funnel_stages(engine, None, Scope.head(1, 10))["stage_id"].tolist() == [LEAD]
    assert funnel_stages(engine, None, ADMIN).equals(default)
    assert funnel_stages(engine, "partner", Scope.rep(12))["stage_id"].tolist() == [P_INTRO]
