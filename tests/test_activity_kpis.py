"""Activity KPIs (METRICS.md "Non-financial activity KPIs") on hand-built timelines, every dialect.

Period Q1 2024 = [2024-01-01, 2024-04-01), ``as_of`` = end (2024-04-01 00:00) unless stated.
Q1 2024 has 65 working days (Jan 23, Feb 21, Mar 21).

People: team 1 (head 10; reps 11, 12 who left 2024-03-01, 13 hired 2024-02-15 (32 working
days in Q1), 14 left 2023-12-01, 15 hired 2024-05-01, 16 left 2024-01-01: the last three are
not employed in Q1); team 2 (reps 21, 30; no head).

Stages: Lead (rot 30 days), Qualified (rot 20), Proposal (no limit), Won, Lost.
Products: 1 core, 2 Cloud (new line), 3 Cloud (old product of the line), 4 AI (new line).

Deals (owner, account, created, state at as_of, stage entered, amount):

====  =====  =====  ================  ===============================  ======
deal  owner  acct   created           state at as_of                   amount
====  =====  =====  ================  ===============================  ======
D1    11     100    2024-01-10 09:00  won 2024-02-20                   100
D2    11     103    2024-01-20 08:00  Qualified since 2024-03-02 00:00 1000
D3    11     104    2024-03-31 12:00  Lead                             100
D4    11     100    2024-02-01 10:00  Proposal since 2024-02-10        500
D5    12     101    2024-02-10 00:00  Lead                             200
D6    21     102    2024-03-01 10:00  Qualified since 2024-03-20       2000
D7    11     100    2023-12-01        Qualified since 2024-01-05       3000
D8    11     100    2024-04-05        (not yet created)                50
D9    11     104    2024-03-31 18:00  Lead                             300
D10   12     101    2023-11-01        won 2024-03-15 14:00 (Cloud)     900
D12   21     105    2023-11-01        Lead                             400
D13   21     204    2023-12-01        lost 2024-01-15                  10
D14   11     205    2023-04-01        won 2023-05-10                   20
====  =====  =====  ================  ===============================  ======

Deal activities: D1 done 01-10 11:30 (11); D2 cancelled (30), done 01-21 08:00 (12), next
step due 04-03 (30); D4 done 02-01 09:00 (before the deal's creation) and 03-18 00:00 (11),
planned due 03-25 (30, overdue); D5 due 04-02 and done then (30: planned at as_of); D6 done
03-01 10:20 and 03-17 23:59:59 (21), next step due 04-10 (30); D7 done 03-25 (11); D12 done
03-01 23:59:59 (21).

Follow-ups without a deal: see :func:`build_scenario` (A1..A10 of rep 11, B1..B3 of rep 21,
C1 of head 10, one without employee).

Customers 200..206 (orders, won deal D14, activities) exercise forgotten and reactivated
clients; 300, 301, 302 and 101 the new-direction clients.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.activity import (
    active_conversations,
    active_conversations_by,
    activities_per_working_day,
    activity_staff,
    data_discipline,
    followup_compliance,
    lead_response,
    negotiations_state,
    new_direction_clients,
    next_step_coverage,
    reactivated_clients,
    rep_working_days,
)
from analytics.clients import forgotten_clients
from analytics.periods import working_days
from analytics.stuck import stuck_deals
from crm_data.filters import Filters, Scope
from crm_data.queries import (
    activities_by_rep_type_period,
    customer_contacts,
    employment_spans,
    followup_stats,
    funnel_stages,
    lead_response_times,
    new_line_clients,
    stuck_deal_candidates,
)
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import scenario_fixture
from tests.support.frames import check, frame

dt = datetime
NA = pd.NA
NaT = pd.NaT
nan = float("nan")
ADMIN = Scope.everyone()
Q1 = Filters(date(2024, 1, 1), date(2024, 4, 1))
AS_OF = Q1.as_of_ts
LEAD, QUAL, PROP, WON, LOST = 1, 2, 3, 4, 5


def build_scenario() -> CrmBuilder:
    b = CrmBuilder()
    b.team(1, region="North", head_id=10)
    b.team(2, region="South")
    for emp, team, role in [(10, 1, "head"), (11, 1, "rep"), (12, 1, "rep"), (21, 2, "rep"),
                            (30, 2, "rep")]:  # fmt: skip
        b.employee(emp, team_id=team, role=role)
    b.rows["employees"][2]["left_at"] = date(2024, 3, 1)  # 12 leaves during Q1
    b.employee(13, team_id=1, hired_at=date(2024, 2, 15))
    b.employee(14, team_id=1)
    b.rows["employees"][-1]["left_at"] = date(2023, 12, 1)
    b.employee(15, team_id=1, hired_at=date(2024, 5, 1))
    b.employee(16, team_id=1)
    b.rows["employees"][-1]["left_at"] = date(2024, 1, 1)  # first day no longer employed
    for account, owner, region in [(100, 11, "North"), (101, 12, "North"), (102, 21, "South"),
                                   (103, 11, "South"), (104, 11, "North"), (105, 21, "South"),
                                   (200, 11, "North"), (201, 11, "North"), (202, 11, "North"),
                                   (203, 21, "South"), (204, 21, "South"), (205, 11, "North"),
                                   (206, 11, "North"), (300, 11, "North"), (301, 21, "South"),
                                   (302, 11, "South")]:  # fmt: skip
        b.account(account, owner_id=owner, region=region)
    b.stage(LEAD, 1, "Lead", rot_days=30)
    b.stage(QUAL, 2, "Qualified", rot_days=20)
    b.stage(PROP, 3, "Proposal")
    b.stage(WON, 4, "Won", is_won=True)
    b.stage(LOST, 5, "Lost", is_lost=True)
    b.product(1, "core")
    b.product(2, "Cloud", is_new_line=True)
    b.product(3, "Cloud")
    b.product(4, "AI", is_new_line=True)

    b.deal(1, 11, 100, status="won", closed_at=dt(2024, 2, 20), history=[
        (LEAD, dt(2024, 1, 10, 9), 100.0), (WON, dt(2024, 2, 20), 100.0)])  # fmt: skip
    b.deal(2, 11, 103, history=[
        (LEAD, dt(2024, 1, 20, 8), 1000.0), (QUAL, dt(2024, 3, 2), 1000.0)])  # fmt: skip
    b.deal(3, 11, 104, history=[(LEAD, dt(2024, 3, 31, 12), 100.0)])
    b.deal(4, 11, 100, history=[
        (LEAD, dt(2024, 2, 1, 10), 500.0), (PROP, dt(2024, 2, 10), 500.0)])  # fmt: skip
    b.deal(5, 12, 101, history=[(LEAD, dt(2024, 2, 10), 200.0)])
    b.deal(6, 21, 102, history=[
        (LEAD, dt(2024, 3, 1, 10), 2000.0), (QUAL, dt(2024, 3, 20), 2000.0)])  # fmt: skip
    b.deal(7, 11, 100, history=[
        (LEAD, dt(2023, 12, 1), 3000.0), (QUAL, dt(2024, 1, 5), 3000.0)])  # fmt: skip
    b.deal(8, 11, 100, history=[(LEAD, dt(2024, 4, 5), 50.0)])
    b.deal(9, 11, 104, history=[(LEAD, dt(2024, 3, 31, 18), 300.0)])
    b.deal(10, 12, 101, status="won", closed_at=dt(2024, 3, 15, 14), product_line="Cloud",
           history=[(LEAD, dt(2023, 11, 1), 900.0), (WON, dt(2024, 3, 15, 14), 900.0)])  # fmt: skip
    b.deal(12, 21, 105, history=[(LEAD, dt(2023, 11, 1), 400.0)])
    b.deal(13, 21, 204, status="lost", closed_at=dt(2024, 1, 15), history=[
        (LEAD, dt(2023, 12, 1), 10.0), (LOST, dt(2024, 1, 15), 10.0)])  # fmt: skip
    b.deal(14, 11, 205, status="won", closed_at=dt(2023, 5, 10), history=[
        (LEAD, dt(2023, 4, 1), 20.0), (WON, dt(2023, 5, 10), 20.0)])  # fmt: skip

    # (id, employee, type, status, done_at, due_at, deal, account)
    rows = [
        # follow-ups of rep 11 (no deal, no account)
        (1, 11, "task", "done", dt(2024, 2, 2, 10), dt(2024, 2, 1, 10), None, None),  # +1 day
        (2, 11, "task", "done", dt(2024, 2, 2, 10, 0, 1), dt(2024, 2, 1, 10), None, None),
        (3, 11, "task", "done", dt(2024, 2, 5, 8), dt(2024, 2, 5, 9), None, None),  # early
        (4, 11, "task", "planned", None, dt(2024, 3, 10, 10), None, None),
        (5, 11, "task", "planned", None, dt(2024, 3, 31, 15), None, None),  # grace running
        (6, 11, "task", "done", dt(2024, 4, 1, 9), dt(2024, 3, 31, 15), None, None),
        (7, 11, "task", "cancelled", None, dt(2024, 2, 10), None, None),
        (8, 11, "task", "planned", None, dt(2023, 12, 20), None, None),  # overdue only
        (9, 11, "task", "planned", None, dt(2024, 4, 5), None, None),  # not yet due
        (10, 11, "task", "done", dt(2024, 1, 20, 10), dt(2024, 1, 15, 10), None, None),
        # follow-ups of rep 21, head 10, nobody
        (11, 21, "task", "done", dt(2024, 3, 1, 12), dt(2024, 3, 1, 10), None, None),
        (12, 21, "task", "planned", None, dt(2024, 3, 31), None, None),  # grace ends at as_of
        (13, 21, "task", "planned", None, dt(2024, 3, 30, 23, 59), None, None),
        (14, 10, "meeting", "done", dt(2024, 1, 10, 9, 30), dt(2024, 1, 10, 9), None, None),
        (15, None, "task", "planned", None, dt(2024, 2, 1), None, None),
        # deal work
        (20, 11, "call", "done", dt(2024, 1, 10, 11, 30), None, 1, 100),
        (21, 30, "call", "cancelled", None, dt(2024, 1, 20, 9), 2, 103),
        (22, 12, "call", "done", dt(2024, 1, 21, 8), None, 2, 103),
        (23, 30, "meeting", "planned", None, dt(2024, 4, 3), 2, 103),
        (24, 11, "call", "done", dt(2024, 2, 1, 9), None, 4, 100),
        (25, 11, "call", "done", dt(2024, 3, 18), None, 4, 100),
        (26, 30, "meeting", "planned", None, dt(2024, 3, 25), 4, 100),
        (27, 30, "call", "done", dt(2024, 4, 2), dt(2024, 4, 2), 5, 101),
        (28, 21, "call", "done", dt(2024, 3, 1, 10, 20), None, 6, 102),
        (29, 21, "call", "done", dt(2024, 3, 17, 23, 59, 59), None, 6, 102),
        (30, 30, "meeting", "planned", None, dt(2024, 4, 10), 6, 102),
        (31, 11, "call", "done", dt(2024, 3, 25), None, 7, 100),
        (32, 21, "call", "done", dt(2024, 3, 1, 23, 59, 59), None, 12, 105),
        # customer care
        (40, 11, "email", "done", dt(2024, 3, 10), None, None, 202),
        (41, 11, "email", "done", dt(2024, 1, 1), None, None, 205),  # exactly at the start
        (42, 30, "call", "cancelled", None, dt(2024, 2, 1), None, 206),
    ]
    for aid, emp, typ, status, done, due, deal, account in rows:
        b.activity(aid, emp, typ, status, done_at=done, due_at=due, deal_id=deal,
                   account_id=account)  # fmt: skip

    for oid, account, ordered_at, items in [
        (1, 200, dt(2023, 6, 1), [(1, 1, 500.0)]),
        (2, 201, dt(2023, 5, 1), [(1, 1, 700.0)]),
        (3, 201, dt(2024, 2, 15), [(1, 1, 100.0)]),
        (4, 202, dt(2023, 7, 1), [(1, 1, 250.0)]),
        (5, 203, dt(2023, 10, 3), [(1, 1, 300.0)]),  # exactly 90 days before the start
        (6, 204, dt(2023, 8, 1), [(1, 1, 400.0)]),
        (7, 206, dt(2023, 6, 1), [(1, 1, 600.0)]),
        (8, 300, dt(2024, 2, 1, 10), [(2, 1, 50.0)]),
        (9, 300, dt(2024, 3, 1), [(2, 1, 50.0)]),
        (10, 300, dt(2024, 3, 5), [(4, 1, 80.0), (1, 1, 10.0)]),
        (11, 301, dt(2023, 12, 15), [(2, 1, 50.0)]),  # before the period
        (12, 301, dt(2024, 1, 10), [(3, 1, 20.0)]),  # Cloud, but not a new-line product
        (13, 301, dt(2024, 3, 10), [(4, 2, 40.0)]),
        (14, 302, dt(2024, 4, 2), [(2, 1, 50.0)]),  # after as_of
        (15, 101, dt(2024, 3, 20), [(2, 1, 60.0)]),
    ]:
        b.order(oid, account, ordered_at, items)
    return b


crm = scenario_fixture(build_scenario)


# ---- follow-up compliance and overdue ---------------------------------------------------------

FOLLOWUP_COLS = "employee_id due done_on_time done_late not_done pending overdue"
FOLLOWUP_DTYPES = {"employee_id": "Int64"}


def test_followup_stats(crm: sa.Engine) -> None:
    # rep 11: due A1 A2 A3 A4 A5 A6 A10 (A7 cancelled, A8 due before, A9 after the period);
    # on time A1 (exactly due + 1 day) and A3; late A2 (one second more) and A10; not done
    # A4, A5, A6 (done only after as_of), of which A5 and A6 still within their grace;
    # overdue A4 A5 A6 A8.  Rep 21: B2 due at 03-31 00:00 has its grace end exactly at as_of.
    expected = frame(
        [
            (NA, 1, 0, 0, 1, 0, 1),
            (10, 1, 1, 0, 0, 0, 0),
            (11, 7, 2, 2, 3, 2, 4),
            (21, 3, 1, 0, 2, 1, 2),
            (30, 1, 0, 0, 1, 0, 1),
        ],
        FOLLOWUP_COLS,
        FOLLOWUP_DTYPES,
    )
    check(followup_stats(crm, Q1, ADMIN), expected)


def test_followup_stats_earlier_as_of_and_scope(crm: sa.Engine) -> None:
    early = replace(Q1, as_of=date(2024, 2, 2))
    # only what was due before 2024-02-02 is judged; A1/A2 were done after it (pending, overdue)
    expected = frame(
        [(NA, 1, 0, 0, 1, 1, 1), (10, 1, 1, 0, 0, 0, 0), (11, 3, 0, 1, 2, 2, 3)],
        FOLLOWUP_COLS,
        FOLLOWUP_DTYPES,
    )
    check(followup_stats(crm, early, ADMIN), expected)
    rep = followup_stats(crm, Q1, Scope.rep(21))
    assert rep["employee_id"].tolist() == [21]
    head = followup_stats(crm, Q1, Scope.head(1))
    assert head["employee_id"].tolist() == [10, 11]
    assert followup_stats(crm, replace(Q1, reps=(30,)), ADMIN)["due"].tolist() == [1]


def test_followup_compliance(crm: sa.Engine) -> None:
    result = followup_compliance(followup_stats(crm, Q1, ADMIN))
    by_rep = result.set_index("employee_id")
    assert by_rep.loc[11, "judged"] == 5  # 7 due, 2 still within their grace
    assert by_rep.loc[11, "compliance"] == pytest.approx(2 / 5)
    assert by_rep.loc[11, "late_share"] == pytest.approx(2 / 5)
    assert by_rep.loc[21, "compliance"] == pytest.approx(1 / 2)
    assert by_rep.loc[10, "compliance"] == 1.0
    assert by_rep.loc[30, "compliance"] == 0.0
    total = followup_compliance(followup_stats(crm, Q1, ADMIN), by=None)
    assert total[["due", "done_on_time", "pending", "judged", "overdue"]].iloc[0].tolist() == [
        13, 4, 3, 10, 8]  # fmt: skip
    assert total["compliance"].iloc[0] == pytest.approx(4 / 10)


def test_followup_compliance_nan_when_nothing_judged() -> None:
    stats = pd.DataFrame({"employee_id": [1], "due": [2], "done_on_time": [0], "done_late": [0],
                          "not_done": [2], "pending": [2], "overdue": [2]})  # fmt: skip
    result = followup_compliance(stats)
    assert result["judged"].tolist() == [0]
    assert np.isnan(result["compliance"].iloc[0])


# ---- lead response time -----------------------------------------------------------------------


def test_lead_response_times(crm: sa.Engine) -> None:
    # D4's first activity was done before the deal was created: 0 h; D1 2.5 h; D2 answered by
    # another employee after 24 h (the cancelled activity does not count); D3 and D9 are
    # censored at as_of (12 h, 6 h); D5's only activity was done after as_of: censored at
    # 51 days; D6 after 20 minutes (bin 0.3 h).  D7 was created before the period, D8 after.
    expected = frame(
        [
            (11, 0.0, False, 1),
            (11, 2.5, False, 1),
            (11, 6.0, True, 1),
            (11, 12.0, True, 1),
            (11, 24.0, False, 1),
            (12, 1224.0, True, 1),
            (21, 0.3, False, 1),
        ],
        "owner_id hours censored deals",
        {"hours": "float64", "censored": "bool"},
    )
    check(lead_response_times(crm, Q1, ADMIN), expected)
    assert lead_response_times(crm, Q1, Scope.rep(21))["owner_id"].tolist() == [21]


def test_lead_response_km_median(crm: sa.Engine) -> None:
    times = lead_response_times(crm, Q1, ADMIN)
    result = lead_response(times).set_index("owner_id")
    # rep 11: S(0) = 4/5, S(2.5) = 3/5, censored at 6 and 12, S(24) = 0 -> median 24 h (the
    # responded deals alone would say 2.5 h)
    assert result.loc[11, ["deals", "responded", "censored"]].tolist() == [5, 3, 2]
    assert result.loc[11, "median_hours"] == 24.0
    assert np.isnan(result.loc[12, "median_hours"])  # only a censored deal
    assert result.loc[21, "median_hours"] == pytest.approx(0.3)
    overall = lead_response(times, by=None)
    assert overall["median_hours"].tolist() == [24.0]  # S: 6/7, 5/7, 4/7, then 2/7 at 24 h


# ---- open deals: conversations, next steps, discipline, negotiations --------------------------


def test_active_conversations(crm: sa.Engine) -> None:
    candidates = stuck_deal_candidates(crm, Q1, ADMIN)
    assert sorted(candidates["deal_id"]) == [2, 3, 4, 5, 6, 7, 9, 12]
    # D4's activity exactly 14 days before as_of counts; D6's one second earlier does not
    assert active_conversations(candidates, AS_OF) == 2
    by_owner = active_conversations_by(candidates, AS_OF, by="owner_id")
    expected = frame([(11, 5, 2, 0.4), (12, 1, 0, 0.0), (21, 2, 0, 0.0)],
                     "owner_id open_deals active active_share",
                     {"active_share": "float64"})  # fmt: skip
    check(by_owner, expected)
    total = active_conversations_by(candidates, AS_OF)
    assert total[["open_deals", "active"]].iloc[0].tolist() == [8, 2]


def test_next_step_coverage(crm: sa.Engine) -> None:
    candidates = stuck_deal_candidates(crm, Q1, ADMIN)
    # D2 (due 04-03), D5 (due 04-02, done only after as_of), D6 (due 04-10); D4's planned
    # activity is overdue (due 03-25), not a next step
    total = next_step_coverage(candidates, AS_OF)
    assert total[["open_deals", "with_next_step"]].iloc[0].tolist() == [8, 3]
    assert total["coverage"].iloc[0] == pytest.approx(3 / 8)
    by_owner = next_step_coverage(candidates, AS_OF, by="owner_id")
    assert by_owner["with_next_step"].tolist() == [1, 1, 1]
    assert by_owner["coverage"].tolist() == pytest.approx([1 / 5, 1.0, 1 / 2])


def test_data_discipline(crm: sa.Engine) -> None:
    candidates = stuck_deal_candidates(crm, Q1, ADMIN)
    # touched in [03-02, 04-01): D2 (stage change exactly at 03-02 00:00), D3 and D9 (created),
    # D4 and D7 (activities), D6 (stage change); not D5 (nothing since 02-10) nor D12 (an
    # activity one second before the window)
    total = data_discipline(candidates, AS_OF)
    assert total[["open_deals", "touched"]].iloc[0].tolist() == [8, 6]
    assert total["discipline"].iloc[0] == 0.75
    by_owner = data_discipline(candidates, AS_OF, by="owner_id")
    assert by_owner["touched"].tolist() == [5, 0, 1]
    assert by_owner["discipline"].tolist() == [1.0, 0.0, 0.5]


NEGOTIATION_COLS = ("stage_id stage position deals amount median_days_in_stage median_age_days "
                    "stuck stuck_share flagged flagged_share")  # fmt: skip
NEGOTIATION_DTYPES = {"stage": "str", "amount": "float64", "median_days_in_stage": "float64",
                      "median_age_days": "float64", "stuck_share": "float64",
                      "flagged_share": "float64"}  # fmt: skip


def test_negotiations_state(crm: sa.Engine) -> None:
    flagged = stuck_deals(stuck_deal_candidates(crm, Q1, ADMIN), AS_OF)
    # Lead: D3 0.5 d, D5 51 d (stuck), D9 0.25 d, D12 152 d (stuck); Qualified: D2 30 d (stuck),
    # D6 12 d, D7 87 d (stuck), ages 71 d 16 h, 30 d 14 h, 122 d; Proposal: D4 51 d, age
    # 59 d 14 h.  Every deal has a warning flag (silent, or D4 without a next step).
    expected = frame(
        [
            (LEAD, "Lead", 1, 4, 1000.0, 25.75, 25.75, 2, 0.5, 4, 1.0),
            (QUAL, "Qualified", 2, 3, 6000.0, 30.0, 71 + 16 / 24, 2, 2 / 3, 3, 1.0),
            (PROP, "Proposal", 3, 1, 500.0, 51.0, 59 + 14 / 24, 0, 0.0, 1, 1.0),
        ],
        NEGOTIATION_COLS,
        NEGOTIATION_DTYPES,
    )
    check(negotiations_state(flagged, AS_OF), expected)


def test_negotiations_state_by_owner_lists_every_stage(crm: sa.Engine) -> None:
    flagged = stuck_deals(stuck_deal_candidates(crm, Q1, ADMIN), AS_OF)
    state = negotiations_state(flagged, AS_OF, by="owner_id", stages=funnel_stages(crm))
    assert len(state) == 9  # 3 owners x 3 open stages
    rep12 = state.loc[state["owner_id"] == 12].reset_index(drop=True)
    assert rep12["deals"].tolist() == [1, 0, 0]
    assert rep12["median_days_in_stage"].iloc[0] == 51.0
    assert rep12["median_days_in_stage"].iloc[1:].isna().all()
    assert rep12["stuck_share"].iloc[1:].isna().all()
    rep11 = state.loc[state["owner_id"] == 11].set_index("stage")
    assert rep11.loc["Qualified", "median_days_in_stage"] == 58.5  # D2 30 d, D7 87 d


# ---- clients ----------------------------------------------------------------------------------


def test_forgotten_clients(crm: sa.Engine) -> None:
    contacts = customer_contacts(crm, Q1, ADMIN)
    forgotten = forgotten_clients(contacts, AS_OF)
    # 205 was contacted on 01-01, 91 days before as_of; 203 ordered on 2023-10-03; 204's deal
    # was lost in January; 100 and 101 have open deals, the others recent orders/activities
    assert forgotten["account_id"].tolist() == [206, 200, 204, 203, 205]


def test_reactivated_clients(crm: sa.Engine) -> None:
    at_start = customer_contacts(crm, replace(Q1, as_of=Q1.start), ADMIN)
    at_end = customer_contacts(crm, Q1, ADMIN)
    assert forgotten_clients(at_start, Q1.start_ts)["account_id"].tolist() == [
        201, 206, 200, 202, 205]  # by revenue at the start  # fmt: skip
    result = reactivated_clients(at_start, at_end, Q1.start_ts)
    # 201 ordered again, 202 was called, 205 e-mailed exactly at the start; 200 stayed silent
    # and 206 only had a cancelled activity.  203 (exactly 90 days) and 204 (open deal) were
    # not forgotten at the start.
    assert result["account_id"].tolist() == [201, 202, 205]
    assert result["ordered"].tolist() == [True, False, False]
    assert result["contacted"].tolist() == [False, True, True]
    before = result["last_contact_before"]
    assert before.iloc[:2].tolist() == [pd.Timestamp(2023, 5, 1), pd.Timestamp(2023, 7, 1)]
    assert pd.isna(before.iloc[2])  # 205 never had a contact: counted from its won deal
    assert result["days_silent"].tolist() == [245.0, 184.0, 236.0]


NEW_LINE_COLS = "account_id owner_id region product_line first_at by_order by_deal"
NEW_LINE_DTYPES = {"owner_id": "Int64", "region": "str", "product_line": "str",
                   "first_at": "datetime", "by_order": "bool", "by_deal": "bool"}  # fmt: skip


def test_new_line_clients(crm: sa.Engine) -> None:
    # 101 won a Cloud deal (03-15) and then ordered Cloud; 300 ordered Cloud twice and AI once;
    # 301's Cloud orders were before the period or of an old product; 302 ordered after as_of
    expected = frame(
        [
            (101, 12, "North", "Cloud", dt(2024, 3, 15, 14), True, True),
            (300, 11, "North", "AI", dt(2024, 3, 5), True, False),
            (300, 11, "North", "Cloud", dt(2024, 2, 1, 10), True, False),
            (301, 21, "South", "AI", dt(2024, 3, 10), True, False),
        ],
        NEW_LINE_COLS,
        NEW_LINE_DTYPES,
    )
    rows = new_line_clients(crm, Q1, ADMIN)
    check(rows, expected)
    assert new_direction_clients(rows)["clients"].tolist() == [3]
    by_region = new_direction_clients(rows, by="region")
    assert by_region.values.tolist() == [["North", 2], ["South", 1]]
    by_line = new_direction_clients(rows, by="product_line")
    assert by_line.values.tolist() == [["AI", 2], ["Cloud", 2]]
    assert new_line_clients(crm, Q1, Scope.rep(21))["account_id"].tolist() == [301]
    assert new_line_clients(crm, Q1, Scope.rep(12))["account_id"].tolist() == [101]
    south = new_line_clients(crm, replace(Q1, regions=("South",)), ADMIN)
    assert south["account_id"].tolist() == [301]
    ai = new_line_clients(crm, replace(Q1, product_lines=("AI",)), ADMIN)
    assert ai["account_id"].tolist() == [300, 301]


# ---- working days -----------------------------------------------------------------------------


def test_working_days() -> None:
    assert working_days(date(2024, 1, 1), date(2024, 4, 1)) == 65
    assert working_days(date(2024, 2, 15), date(2024, 4, 1)) == 32
    assert working_days(date(2024, 1, 6), date(2024, 1, 8)) == 0  # a weekend
    assert working_days(date(2024, 4, 1), date(2024, 1, 1)) == 0
    assert working_days(date(2024, 1, 1), date(2024, 1, 8), holidays=[date(2024, 1, 1)]) == 4


def test_employment_and_working_days(crm: sa.Engine) -> None:
    spans = employment_spans(crm, Q1, ADMIN)
    # 14 left before the period, 15 is hired after it, 16 left on its first day
    assert spans["employee_id"].tolist() == [10, 11, 12, 13, 21, 30]
    work = rep_working_days(spans, Q1.start, Q1.end).set_index("employee_id")
    assert work["working_days"].to_dict() == {10: 65, 11: 65, 12: 44, 13: 32, 21: 65, 30: 65}
    monthly = rep_working_days(spans, Q1.start, Q1.end, unit="month")
    rep13 = monthly.loc[monthly["employee_id"] == 13]
    assert rep13["working_days"].tolist() == [0, 11, 21]  # hired on Thursday 15 February
    assert rep13["period"].tolist() == [pd.Timestamp(2024, m, 1) for m in (1, 2, 3)]
    rep12 = monthly.loc[monthly["employee_id"] == 12]
    assert rep12["working_days"].tolist() == [23, 21, 0]  # left on 1 March
    assert employment_spans(crm, Q1, Scope.rep(21))["employee_id"].tolist() == [21]
    assert employment_spans(crm, Q1, Scope.head(2))["employee_id"].tolist() == [21, 30]


def test_activities_per_working_day(crm: sa.Engine) -> None:
    activities = activities_by_rep_type_period(crm, Q1, ADMIN, unit="month")
    work = rep_working_days(employment_spans(crm, Q1, ADMIN), Q1.start, Q1.end)
    per_rep = activities_per_working_day(activities, work).set_index("employee_id")
    assert per_rep["activities"].to_dict() == {10: 1, 11: 10, 12: 1, 13: 0, 21: 4, 30: 0}
    assert per_rep.loc[11, "per_working_day"] == pytest.approx(10 / 65)
    assert per_rep.loc[12, "per_working_day"] == pytest.approx(1 / 44)
    assert per_rep.loc[13, "per_working_day"] == 0.0  # hired mid-period, nothing done yet
    per_team = activities_per_working_day(activities, work, by="team_id")
    assert per_team["activities"].tolist() == [12, 4]
    assert per_team["working_days"].tolist() == [65 + 65 + 44 + 32, 130]
    by_type = activities_per_working_day(activities, work, by=["employee_id", "type"])
    rep11 = by_type.loc[by_type["employee_id"] == 11].set_index("type")["activities"]
    assert rep11.to_dict() == {"call": 4, "email": 2, "meeting": 0, "task": 4}
    monthly_work = rep_working_days(employment_spans(crm, Q1, ADMIN), Q1.start, Q1.end,
                                    unit="month")  # fmt: skip
    monthly = activities_per_working_day(activities, monthly_work, by=["employee_id", "period"])
    rep13 = monthly.loc[monthly["employee_id"] == 13]
    assert rep13["per_working_day"].isna().tolist() == [True, False, False]  # no days in Jan
    total = activities_per_working_day(activities, work, by=None)
    assert total[["activities", "working_days"]].iloc[0].tolist() == [16, 336]


def test_company_rate_counts_the_days_of_the_employees_whose_activities_count() -> None:
    # Q1 2024: 65 working days; rep 6 hired on Thursday 15 February: 32
    staff = pd.DataFrame({
        "employee_id": [1, 2, 3, 4, 5, 6, 7],
        "role": ["rep", "head", "head", "service", "exec", "rep", "analyst"],
        "hired_at": pd.to_datetime(["2020-01-01"] * 5 + ["2024-02-15", "2020-01-01"]),
        "left_at": pd.to_datetime([None] * 7),
    })  # fmt: skip
    activities = pd.DataFrame(
        {
            "employee_id": pd.array([1, 2, 1], dtype="Int64"),
            "type": ["call", "call", "email"],
            "activities": [40, 6, 13],
        }
    )
    work = rep_working_days(staff, Q1.start, Q1.end)
    counted = activity_staff(work, activities, always={"rep"})
    # reps 1 and 6 (6 logged nothing yet: counts with 0), head 2 (logged 6); not head 3,
    # service 4, exec 5 or analyst 7, who logged nothing
    assert counted["employee_id"].tolist() == [1, 2, 6]
    zero = pd.DataFrame({"employee_id": [4], "activities": [0]})  # no activity, no count
    assert activity_staff(work, zero, always={"rep"})["employee_id"].tolist() == [1, 6]
    total = activities_per_working_day(activities, counted, by=None)
    assert total[["activities", "working_days"]].iloc[0].tolist() == [59, 65 + 65 + 32]
    assert total["per_working_day"].iloc[0] == pytest.approx(59 / 162)  # not 59 / 357
    per_rep = activities_per_working_day(activities, counted, by="employee_id")
    assert per_rep["per_working_day"].tolist() == pytest.approx([53 / 65, 6 / 65, 0.0])
    assert per_rep["activities"].sum() / per_rep["working_days"].sum() == pytest.approx(59 / 162)


# ---- planted truth ----------------------------------------------------------------------------


@pytest.mark.slow
def test_diligent_reps_rank_in_top_half_of_compliance(tmp_path: Path) -> None:
    """The demo generator does a planned activity on time with the rep's planted diligence.

    ``load_truth(engine)["reps"]`` carries ``diligence`` (a share, not a yes/no flag): the
    diligent reps are the top quartile of it.  Over the last year each of them ranks in the
    top half of follow-up compliance.
    """
    from crm_data.demo import load_truth, seed_demo

    engine = sa.create_engine(f"duckdb:///{tmp_path / 'demo.duckdb'}")
    try:
        seed_demo(engine, "M", end=date(2025, 1, 1))
        truth = pd.DataFrame(load_truth(engine)["reps"])[["id", "diligence"]]
        stats = followup_stats(engine, Filters(date(2024, 1, 1), date(2025, 1, 1)), ADMIN)
    finally:
        engine.dispose()
    compliance = followup_compliance(stats).merge(truth, left_on="employee_id", right_on="id")
    assert len(compliance) >= 80 and compliance["judged"].min() >= 30
    rank = compliance["compliance"].rank(ascending=False)
    diligent = compliance["diligence"] >= compliance["diligence"].quantile(0.75)
    assert diligent.sum() >= 20
    assert (rank[diligent] <= len(compliance) / 2).all()
    assert compliance["compliance"].corr(compliance["diligence"], method="spearman") > 0.9
