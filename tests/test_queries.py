"""Query functions on a hand-built CRM, with hand-computed expectations, on every dialect.

The scenario (period 2024-01-01 .. 2024-04-01, as_of = end):

* sales pipeline: Lead(1) Qualified(2) Proposal(3) Negotiation(4) Won(5) Lost(6);
  partner pipeline: P-Intro(1).
* team 1 (North): head 10, reps 11 and 12; team 2 (South): head 20, rep 21.
* D1 straight path to won; D2 skips Qualified and is lost at Proposal; D3 goes back from
  Proposal to Qualified and stays open; D4 open; D5 created before the period, lost at
  Negotiation in the period; D6 starts at Qualified, moves again only after as_of; D7 is won
  only after as_of; D8 partner pipeline; D9 enters 1, 3, 2, 4; D10 lost without a terminal row.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

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
from crm_data.queries.currency import main_currency
from tests.support.crm_builder import CrmBuilder
from tests.support.frames import check, frame

dt = datetime
NA = pd.NA
NaT = pd.NaT
ADMIN = Scope.everyone()
PERIOD = Filters(date(2024, 1, 1), date(2024, 4, 1))
LEAD, QUAL, PROP, NEGO, WON, LOST, P_INTRO = 1, 2, 3, 4, 5, 6, 7


def build_scenario() -> CrmBuilder:
    b = CrmBuilder()
    b.team(1, region="North", head_id=10)
    b.team(2, region="South", head_id=20)
    for emp, team, role in [(10, 1, "head"), (11, 1, "rep"), (12, 1, "rep"), (20, 2, "head")]:
        b.employee(emp, team_id=team, role=role)
    b.employee(21, team_id=2)
    b.account(100, owner_id=11, region="North", size_band="small")
    b.account(101, owner_id=12, region="North", size_band="large")
    b.account(102, owner_id=21, region="South", size_band="small")
    b.account(103, owner_id=21, region="South", size_band="large")
    b.stage(LEAD, 1, "Lead", probability=0.1, rot_days=10)
    b.stage(QUAL, 2, "Qualified", probability=0.3, rot_days=14)
    b.stage(PROP, 3, "Proposal", probability=0.6)
    b.stage(NEGO, 4, "Negotiation", probability=0.8, rot_days=7)
    b.stage(WON, 5, "Won", probability=1.0, is_won=True)
    b.stage(LOST, 6, "Lost", probability=0.0, is_lost=True)
    b.stage(P_INTRO, 1, "P-Intro", pipeline="partner", probability=0.2)
    b.lost_reason(1, "Price")
    b.lost_reason(2, "Timing")
    b.product(1, "core")
    b.product(2, "new", is_new_line=True)

    b.deal(1, 11, 100, status="won", closed_at=dt(2024, 2, 15, 12), history=[
        (LEAD, dt(2024, 1, 5, 9), 1000.0), (QUAL, dt(2024, 1, 10), 1000.0),
        (PROP, dt(2024, 1, 20), 1200.0), (NEGO, dt(2024, 2, 1), 1200.0),
        (WON, dt(2024, 2, 15, 12), 1500.0)])  # fmt: skip
    b.deal(2, 11, 100, status="lost", closed_at=dt(2024, 2, 10), lost_reason_id=1, history=[
        (LEAD, dt(2024, 1, 8), 500.0), (PROP, dt(2024, 1, 15), 500.0),
        (LOST, dt(2024, 2, 10), 500.0)])  # fmt: skip
    b.deal(3, 12, 101, expected_close_at=date(2024, 3, 31), history=[
        (LEAD, dt(2024, 2, 1), 2000.0), (QUAL, dt(2024, 2, 5), 2000.0),
        (PROP, dt(2024, 2, 20), 2000.0), (QUAL, dt(2024, 3, 1), 2500.0)])  # fmt: skip
    b.deal(4, 21, 102, currency="USD", history=[
        (LEAD, dt(2024, 3, 10), 800.0), (QUAL, dt(2024, 3, 20), 800.0)])  # fmt: skip
    b.deal(5, 21, 103, status="lost", closed_at=dt(2024, 3, 15), history=[
        (LEAD, dt(2023, 12, 1), 3000.0), (NEGO, dt(2024, 1, 10), 3000.0),
        (LOST, dt(2024, 3, 15), 3000.0)])  # fmt: skip
    b.deal(6, 12, 101, product_line="new", history=[
        (QUAL, dt(2024, 3, 25), 700.0), (PROP, dt(2024, 4, 5), 900.0)])  # fmt: skip
    b.deal(7, 11, 100, status="won", closed_at=dt(2024, 5, 1), history=[
        (LEAD, dt(2024, 2, 10), 400.0), (NEGO, dt(2024, 3, 1), 400.0),
        (WON, dt(2024, 5, 1), 450.0)])  # fmt: skip
    b.deal(8, 11, 100, history=[(P_INTRO, dt(2024, 1, 15), 100.0)])
    b.deal(9, 12, 101, history=[
        (LEAD, dt(2024, 1, 20), 100.0), (PROP, dt(2024, 1, 25), 100.0),
        (QUAL, dt(2024, 2, 1), 100.0), (NEGO, dt(2024, 2, 10), 100.0)])  # fmt: skip
    b.deal(10, 21, 102, status="lost", closed_at=dt(2024, 2, 11), lost_reason_id=2,
           currency="USD", history=[(LEAD, dt(2024, 2, 1), 300.0)])  # fmt: skip

    # activities: (id, employee, type, status, done_at, due_at, deal, account, minutes)
    for row in [
        (1, 11, "call", "done", dt(2024, 3, 5, 10), dt(2024, 3, 5), 7, 100, 15.0),
        (2, 11, "meeting", "done", dt(2024, 3, 20, 14), None, 7, 100, 60.0),
        (3, 12, "email", "done", dt(2024, 3, 28, 9), None, 7, 100, None),
        (4, 11, "task", "planned", None, dt(2024, 4, 10), 7, 100, None),
        (5, 11, "call", "planned", None, dt(2024, 3, 25), 7, 100, None),
        (6, 12, "call", "done", dt(2024, 4, 3), dt(2024, 4, 2), 3, 101, 5.0),
        (7, 21, "call", "done", dt(2024, 1, 2, 8), None, 4, 102, 10.0),
        (8, 21, "call", "done", dt(2024, 1, 7, 23), None, None, 103, 20.0),
        (9, 21, "call", "done", dt(2024, 1, 8, 0, 30), None, None, 103, 5.0),
        (10, 11, "meeting", "cancelled", None, dt(2024, 3, 1), 7, 100, None),
        (11, 12, "meeting", "done", dt(2023, 12, 31), None, None, 101, 30.0),
    ]:
        aid, emp, typ, status, done, due, deal, acct, minutes = row
        b.activity(aid, emp, typ, status, done_at=done, due_at=due, deal_id=deal,
                   account_id=acct, duration_min=minutes)  # fmt: skip

    b.order(1, 100, dt(2024, 1, 15), [(1, 1, 100.0)])
    b.order(2, 100, dt(2024, 1, 20), [(1, 1, 100.0), (2, 2, 100.0)])
    b.order(3, 101, dt(2024, 2, 3), [(2, 1, 50.0)])
    b.order(4, 102, dt(2024, 2, 28), [(1, 2, 100.0)])
    b.order(5, 102, dt(2023, 11, 10), [(1, 10, 100.0)])
    b.order(6, 100, dt(2024, 1, 20, 15), [(1, 1, 20.0)])
    b.order(7, 103, dt(2024, 4, 2), [(2, 1, 70.0)])
    return b


@pytest.fixture
def crm(empty_engine: sa.Engine) -> sa.Engine:
    return build_scenario().load(empty_engine)


# ---- pipeline -------------------------------------------------------------------------------

PIPELINE_DTYPES = {"stage": "str", "probability": "float64", "amount": "float64",
                   "weighted_amount": "float64"}  # fmt: skip
PIPELINE_COLS = "stage_id stage position probability deals amount weighted_amount"


def test_main_currency(crm: sa.Engine) -> None:
    # deals 4 and 10 of rep 21 are in USD, the other eight in EUR
    assert main_currency(crm, ADMIN) == ("EUR", True)
    assert main_currency(crm, Scope.rep(21)) == ("USD", True)  # 2 USD against 1 EUR
    assert main_currency(crm, Scope.rep(12)) == ("EUR", False)
    assert main_currency(crm, Scope.rep(10)) == (None, False)  # a head owns no deal


def test_open_pipeline_by_stage(crm: sa.Engine) -> None:
    expected = frame([
        (LEAD, "Lead", 1, 0.1, 0, 0.0, 0.0),
        (P_INTRO, "P-Intro", 1, 0.2, 1, 100.0, 20.0),
        (QUAL, "Qualified", 2, 0.3, 3, 4000.0, 1200.0),
        (PROP, "Proposal", 3, 0.6, 0, 0.0, 0.0),
        (NEGO, "Negotiation", 4, 0.8, 2, 500.0, 400.0),
    ], PIPELINE_COLS, PIPELINE_DTYPES)  # fmt: skip
    check(open_pipeline_by_stage(crm, PERIOD, ADMIN), expected)


def test_open_pipeline_by_stage_filtered_and_scoped(crm: sa.Engine) -> None:
    sales_team1 = Filters(PERIOD.start, PERIOD.end, pipeline="sales", teams=(1,))
    expected = frame([
        (LEAD, "Lead", 1, 0.1, 0, 0.0, 0.0),
        (QUAL, "Qualified", 2, 0.3, 2, 3200.0, 960.0),
        (PROP, "Proposal", 3, 0.6, 0, 0.0, 0.0),
        (NEGO, "Negotiation", 4, 0.8, 2, 500.0, 400.0),
    ], PIPELINE_COLS, PIPELINE_DTYPES)  # fmt: skip
    check(open_pipeline_by_stage(crm, sales_team1, ADMIN), expected)
    # rep 12's scope: D3, D6 (Qualified) and D9 (Negotiation); a filter for rep 11 cannot widen it
    rep12 = open_pipeline_by_stage(crm, sales_team1, Scope.rep(12))
    assert rep12.set_index("stage")["amount"].to_dict() == {
        "Lead": 0.0, "Qualified": 3200.0, "Proposal": 0.0, "Negotiation": 100.0}  # fmt: skip
    other = Filters(PERIOD.start, PERIOD.end, reps=(11,))
    assert open_pipeline_by_stage(crm, other, Scope.rep(12))["deals"].sum() == 0
    # earlier as_of: 2024-01-09 -> D1 and D2 in Lead, D5 in Lead (not yet in Negotiation)
    early = Filters(PERIOD.start, PERIOD.end, as_of=date(2024, 1, 9))
    got = open_pipeline_by_stage(crm, early, ADMIN).set_index("stage")
    assert got.loc["Lead", "deals"] == 3 and got.loc["Lead", "amount"] == 4500.0
    assert got["deals"].sum() == 3


SNAP_COLS = "snapshot_date deal_id owner_id stage_id position amount"
SNAP_DTYPES = {"snapshot_date": "datetime", "amount": "float64"}


def test_pipeline_snapshots(crm: sa.Engine) -> None:
    d1, d2, d3 = date(2024, 1, 9), date(2024, 2, 15), date(2024, 4, 1)
    expected = frame([
        (d1, 1, 11, LEAD, 1, 1000.0), (d1, 2, 11, LEAD, 1, 500.0), (d1, 5, 21, LEAD, 1, 3000.0),
        (d2, 1, 11, NEGO, 4, 1200.0), (d2, 3, 12, QUAL, 2, 2000.0), (d2, 5, 21, NEGO, 4, 3000.0),
        (d2, 7, 11, LEAD, 1, 400.0), (d2, 8, 11, P_INTRO, 1, 100.0), (d2, 9, 12, NEGO, 4, 100.0),
        (d3, 3, 12, QUAL, 2, 2500.0), (d3, 4, 21, QUAL, 2, 800.0), (d3, 6, 12, QUAL, 2, 700.0),
        (d3, 7, 11, NEGO, 4, 400.0), (d3, 8, 11, P_INTRO, 1, 100.0), (d3, 9, 12, NEGO, 4, 100.0),
    ], SNAP_COLS, SNAP_DTYPES)  # fmt: skip
    check(pipeline_snapshots(crm, PERIOD, ADMIN, [d3, d1, d2]), expected)
    # the last snapshot agrees with open_pipeline_by_stage at the same as_of
    by_stage = open_pipeline_by_stage(crm, PERIOD, ADMIN).set_index("stage_id")["amount"]
    snap = expected[expected.snapshot_date == pd.Timestamp(d3)].groupby("stage_id")["amount"]
    assert snap.sum().to_dict() == by_stage[by_stage > 0].to_dict()
    # one date, scoped to the head of team 2 (rep 21)
    one = pipeline_snapshots(crm, PERIOD, Scope.head(2), [d1])
    check(one, frame([(d1, 5, 21, LEAD, 1, 3000.0)], SNAP_COLS, SNAP_DTYPES))
    empty = pipeline_snapshots(crm, PERIOD, ADMIN, [])
    check(empty, frame([], SNAP_COLS, SNAP_DTYPES))


def test_stuck_deal_candidates(crm: sa.Engine) -> None:
    cols = ("deal_id owner_id account_id product_line stage_id stage position rot_days "
            "stage_entered_at days_in_stage created_at expected_close_at last_activity_at "
            "next_activity_due_at amount")  # fmt: skip
    dtypes = {"product_line": "str", "stage": "str", "rot_days": "Int64",
              "stage_entered_at": "datetime", "days_in_stage": "float64",
              "created_at": "datetime", "expected_close_at": "datetime",
              "last_activity_at": "datetime", "next_activity_due_at": "datetime",
              "amount": "float64"}  # fmt: skip
    expected = frame([
        (3, 12, 101, "core", QUAL, "Qualified", 2, 14, dt(2024, 3, 1), 31.0, dt(2024, 2, 1),
         dt(2024, 3, 31), NaT, dt(2024, 4, 2), 2500.0),
        (4, 21, 102, "core", QUAL, "Qualified", 2, 14, dt(2024, 3, 20), 12.0, dt(2024, 3, 10),
         NaT, dt(2024, 1, 2, 8), NaT, 800.0),
        (6, 12, 101, "new", QUAL, "Qualified", 2, 14, dt(2024, 3, 25), 7.0, dt(2024, 3, 25),
         NaT, NaT, NaT, 700.0),
        (7, 11, 100, "core", NEGO, "Negotiation", 4, 7, dt(2024, 3, 1), 31.0, dt(2024, 2, 10),
         NaT, dt(2024, 3, 28, 9), dt(2024, 4, 10), 400.0),
        (8, 11, 100, "core", P_INTRO, "P-Intro", 1, NA, dt(2024, 1, 15), 77.0, dt(2024, 1, 15),
         NaT, NaT, NaT, 100.0),
        (9, 12, 101, "core", NEGO, "Negotiation", 4, 7, dt(2024, 2, 10), 51.0, dt(2024, 1, 20),
         NaT, NaT, NaT, 100.0),
    ], cols, dtypes)  # fmt: skip
    check(stuck_deal_candidates(crm, PERIOD, ADMIN), expected)
    new_line = Filters(PERIOD.start, PERIOD.end, product_lines=("new",))
    assert stuck_deal_candidates(crm, new_line, ADMIN)["deal_id"].tolist() == [6]


# ---- funnel ---------------------------------------------------------------------------------

HWM_COLS = ("deal_id owner_id product_line status max_open_position reached_won lost "
            "final_position strict_ok_position regressed lost_stage_position")  # fmt: skip
HWM_DTYPES = {"product_line": "str", "status": "str", "max_open_position": "Int64",
              "reached_won": "bool", "lost": "bool", "final_position": "Int64",
              "strict_ok_position": "Int64", "regressed": "bool",
              "lost_stage_position": "Int64"}  # fmt: skip
HWM_ROWS = [
    (1, 11, "core", "won", 4, True, False, 5, 4, False, NA),
    (2, 11, "core", "lost", 3, False, True, 6, 1, False, 3),
    (3, 12, "core", "open", 3, False, False, 2, 3, True, NA),
    (4, 21, "core", "open", 2, False, False, 2, 2, False, NA),
    (6, 12, "new", "open", 2, False, False, 2, NA, False, NA),
    (7, 11, "core", "open", 4, False, False, 4, 1, False, NA),
    (8, 11, "core", "open", 1, False, False, 1, 1, False, NA),
    (9, 12, "core", "open", 4, False, False, 4, 2, True, NA),
    (10, 21, "core", "lost", 1, False, True, 1, 1, False, 1),
]


def test_stage_high_water_marks(crm: sa.Engine) -> None:
    check(stage_high_water_marks(crm, PERIOD, ADMIN), frame(HWM_ROWS, HWM_COLS, HWM_DTYPES))


def test_stage_high_water_marks_later_as_of_and_filters(crm: sa.Engine) -> None:
    # as_of 2024-06-01: D7 is won, D6 has reached Proposal
    later = Filters(PERIOD.start, PERIOD.end, as_of=date(2024, 6, 1), reps=(11, 12))
    got = stage_high_water_marks(crm, later, ADMIN).set_index("deal_id")
    assert got.index.tolist() == [1, 2, 3, 6, 7, 8, 9]
    assert got.loc[7, "status"] == "won" and got.loc[7, "reached_won"]
    assert got.loc[7, "final_position"] == 5
    assert got.loc[6, "max_open_position"] == 3 and got.loc[6, "final_position"] == 3
    assert pd.isna(got.loc[6, "strict_ok_position"])
    # a cohort of January only, South region
    jan_south = Filters(date(2024, 1, 1), date(2024, 2, 1), regions=("South",))
    assert stage_high_water_marks(crm, jan_south, ADMIN).empty
    feb_south = Filters(date(2024, 2, 1), date(2024, 3, 1), regions=("South",))
    assert stage_high_water_marks(crm, feb_south, ADMIN)["deal_id"].tolist() == [10]


VISIT_COLS = "deal_id owner_id stage_id position entered_at left_at censored duration_days"
VISIT_DTYPES = {"entered_at": "datetime", "left_at": "datetime", "censored": "bool",
                "duration_days": "float64"}  # fmt: skip


def test_stage_visits(crm: sa.Engine) -> None:
    a = dt(2024, 4, 1)
    expected = frame([
        (1, 11, LEAD, 1, dt(2024, 1, 5, 9), dt(2024, 1, 10), False, 4.625),
        (1, 11, QUAL, 2, dt(2024, 1, 10), dt(2024, 1, 20), False, 10.0),
        (1, 11, PROP, 3, dt(2024, 1, 20), dt(2024, 2, 1), False, 12.0),
        (1, 11, NEGO, 4, dt(2024, 2, 1), dt(2024, 2, 15, 12), False, 14.5),
        (2, 11, LEAD, 1, dt(2024, 1, 8), dt(2024, 1, 15), False, 7.0),
        (2, 11, PROP, 3, dt(2024, 1, 15), dt(2024, 2, 10), False, 26.0),
        (3, 12, LEAD, 1, dt(2024, 2, 1), dt(2024, 2, 5), False, 4.0),
        (3, 12, QUAL, 2, dt(2024, 2, 5), dt(2024, 2, 20), False, 15.0),
        (3, 12, PROP, 3, dt(2024, 2, 20), dt(2024, 3, 1), False, 10.0),
        (3, 12, QUAL, 2, dt(2024, 3, 1), a, True, 31.0),
        (4, 21, LEAD, 1, dt(2024, 3, 10), dt(2024, 3, 20), False, 10.0),
        (4, 21, QUAL, 2, dt(2024, 3, 20), a, True, 12.0),
        (6, 12, QUAL, 2, dt(2024, 3, 25), a, True, 7.0),
        (7, 11, LEAD, 1, dt(2024, 2, 10), dt(2024, 3, 1), False, 20.0),
        (7, 11, NEGO, 4, dt(2024, 3, 1), a, True, 31.0),
        (8, 11, P_INTRO, 1, dt(2024, 1, 15), a, True, 77.0),
        (9, 12, LEAD, 1, dt(2024, 1, 20), dt(2024, 1, 25), False, 5.0),
        (9, 12, PROP, 3, dt(2024, 1, 25), dt(2024, 2, 1), False, 7.0),
        (9, 12, QUAL, 2, dt(2024, 2, 1), dt(2024, 2, 10), False, 9.0),
        (9, 12, NEGO, 4, dt(2024, 2, 10), a, True, 51.0),
        (10, 21, LEAD, 1, dt(2024, 2, 1), dt(2024, 2, 11), False, 10.0),
    ], VISIT_COLS, VISIT_DTYPES)  # fmt: skip
    check(stage_visits(crm, PERIOD, ADMIN), expected)
    head1 = stage_visits(crm, PERIOD, Scope.head(1))
    assert sorted(head1["owner_id"].unique()) == [11, 12]
    assert len(head1) == len(expected) - 3


CLOSED_COLS = ("deal_id owner_id account_id product_line status amount created_at closed_at "
               "cycle_days lost_reason lost_stage_position")  # fmt: skip
CLOSED_DTYPES = {"product_line": "str", "status": "str", "amount": "float64",
                 "created_at": "datetime", "closed_at": "datetime", "cycle_days": "float64",
                 "lost_reason": "str", "lost_stage_position": "Int64"}  # fmt: skip


def test_deals_closed(crm: sa.Engine) -> None:
    expected = frame([
        (2, 11, 100, "core", "lost", 500.0, dt(2024, 1, 8), dt(2024, 2, 10), 33.0, "Price", 3),
        (10, 21, 102, "core", "lost", 300.0, dt(2024, 2, 1), dt(2024, 2, 11), 10.0, "Timing", 1),
        (1, 11, 100, "core", "won", 1500.0, dt(2024, 1, 5, 9), dt(2024, 2, 15, 12), 41.125,
         None, NA),
        (5, 21, 103, "core", "lost", 3000.0, dt(2023, 12, 1), dt(2024, 3, 15), 105.0, None, 4),
    ], CLOSED_COLS, CLOSED_DTYPES)  # fmt: skip
    check(deals_closed(crm, PERIOD, ADMIN), expected)
    q2 = Filters(date(2024, 4, 1), date(2024, 7, 1))
    assert deals_closed(crm, q2, ADMIN)["deal_id"].tolist() == [7]
    assert deals_closed(crm, q2, Scope.rep(12)).empty


# ---- activities, orders, customers ----------------------------------------------------------

ACT_COLS = "employee_id type period activities duration_min"
ACT_DTYPES = {"employee_id": "Int64", "type": "str", "period": "datetime",
              "duration_min": "float64"}  # fmt: skip


def test_activities_by_rep_type_period(crm: sa.Engine) -> None:
    weekly = frame([
        (11, "call", date(2024, 3, 4), 1, 15.0),
        (11, "meeting", date(2024, 3, 18), 1, 60.0),
        (12, "email", date(2024, 3, 25), 1, 0.0),
        (21, "call", date(2024, 1, 1), 2, 30.0),
        (21, "call", date(2024, 1, 8), 1, 5.0),
    ], ACT_COLS, ACT_DTYPES)  # fmt: skip
    check(activities_by_rep_type_period(crm, PERIOD, ADMIN), weekly)
    monthly = frame([
        (11, "call", date(2024, 3, 1), 1, 15.0),
        (11, "meeting", date(2024, 3, 1), 1, 60.0),
        (12, "email", date(2024, 3, 1), 1, 0.0),
        (21, "call", date(2024, 1, 1), 3, 35.0),
    ], ACT_COLS, ACT_DTYPES)  # fmt: skip
    check(activities_by_rep_type_period(crm, PERIOD, ADMIN, unit="month"), monthly)
    # totals only: one row per period, employee and type NA
    totals = frame([
        (None, None, date(2024, 1, 1), 3, 35.0),
        (None, None, date(2024, 3, 1), 3, 75.0),
    ], ACT_COLS, ACT_DTYPES)  # fmt: skip
    check(activities_by_rep_type_period(crm, PERIOD, ADMIN, unit="month", detail=False), totals)
    # attributed to the employee: rep 12's email on rep 11's deal is rep 12's
    rep12 = activities_by_rep_type_period(crm, PERIOD, Scope.rep(12), unit="quarter")
    check(rep12, frame([(12, "email", date(2024, 1, 1), 1, 0.0)], ACT_COLS, ACT_DTYPES))
    # product-line filter keeps activities linked to deals of that line only (D4 is core)
    south = Filters(PERIOD.start, PERIOD.end, regions=("South",), product_lines=("core",))
    got = activities_by_rep_type_period(crm, south, ADMIN, unit="year")
    check(got, frame([(21, "call", date(2024, 1, 1), 1, 10.0)], ACT_COLS, ACT_DTYPES))


ORDER_COLS = "month orders revenue customers"
ORDER_DTYPES = {"month": "datetime", "revenue": "float64"}


def test_orders_by_month(crm: sa.Engine) -> None:
    expected = frame([(date(2024, 1, 1), 3, 420.0, 1), (date(2024, 2, 1), 2, 250.0, 2)],
                     ORDER_COLS, ORDER_DTYPES)  # fmt: skip
    check(orders_by_month(crm, PERIOD, ADMIN), expected)
    new_line = Filters(PERIOD.start, PERIOD.end, product_lines=("new",))
    expected_new = frame([(date(2024, 1, 1), 1, 200.0, 1), (date(2024, 2, 1), 1, 50.0, 1)],
                         ORDER_COLS, ORDER_DTYPES)  # fmt: skip
    check(orders_by_month(crm, new_line, ADMIN), expected_new)
    head2 = orders_by_month(crm, PERIOD, Scope.head(2))
    check(head2, frame([(date(2024, 2, 1), 1, 200.0, 1)], ORDER_COLS, ORDER_DTYPES))
    large = Filters(PERIOD.start, PERIOD.end, segments=("large",))
    check(orders_by_month(crm, large, ADMIN),
          frame([(date(2024, 2, 1), 1, 50.0, 1)], ORDER_COLS, ORDER_DTYPES))  # fmt: skip


CUST_COLS = ("account_id owner_id region segment first_order_at last_order_at orders "
             "order_days revenue")  # fmt: skip
CUST_DTYPES = {"owner_id": "Int64", "region": "str", "segment": "str",
               "first_order_at": "datetime", "last_order_at": "datetime",
               "revenue": "float64"}  # fmt: skip


def test_customer_summary(crm: sa.Engine) -> None:
    expected = frame([
        (100, 11, "North", "small", dt(2024, 1, 15), dt(2024, 1, 20, 15), 3, 2, 420.0),
        (101, 12, "North", "large", dt(2024, 2, 3), dt(2024, 2, 3), 1, 1, 50.0),
        (102, 21, "South", "small", dt(2023, 11, 10), dt(2024, 2, 28), 2, 2, 1200.0),
    ], CUST_COLS, CUST_DTYPES)  # fmt: skip
    check(customer_summary(crm, PERIOD, ADMIN), expected)
    # the period does not truncate history; as_of does
    later = Filters(date(2024, 3, 1), date(2024, 6, 1), teams=(2,))
    got = customer_summary(crm, later, ADMIN)
    assert got["account_id"].tolist() == [102, 103]
    assert got["revenue"].tolist() == [1200.0, 70.0]
    assert customer_summary(crm, PERIOD, Scope.rep(12))["account_id"].tolist() == [101]


def test_queries_accept_a_connection(crm: sa.Engine) -> None:
    with crm.connect() as conn:
        got = orders_by_month(conn, PERIOD, ADMIN)
        assert got["orders"].tolist() == [3, 2]
