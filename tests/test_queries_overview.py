"""Overview, people and filter-option queries on a hand-built CRM, on every dialect.

The scenario (period Q1 2024 = 2024-01-01 .. 2024-04-01, as_of = end unless stated):

* sales pipeline Lead(1) Qualified(2) Proposal(3) Won(4) Lost(5); partner pipeline P-Intro(6).
* team 1 "North team" (head 10 Hanna, reps 11 Bob, 12 Alice), team 2 "South team" (head 20
  Zoe, reps 21 Carl, 22 Bob), team 3 "Service" (no region, no head); exec 30 Eve and analyst
  31 dan (left 2023-06-30) have no team.  The lowercase "dan" and the two "Bob"s check the
  name order (Python's, the same on every dialect) and its tie-break by id.
* accounts: 100 (owner 11, North), 101 (12, North), 102 (21, South), 103 (21, South),
  104 (no owner, West), 105 (11, North), 106 (21, no region).

Deals (owner, account, created, status/closed, amount, line, expected close):

====  =====  =======  ==========  =================  ======  ========  ==========
deal  owner  account  created     closed             amount  line      expected
====  =====  =======  ==========  =================  ======  ========  ==========
D1    11     100      2024-01-05  won 2024-02-15     1000    core
D2    11     100      2024-01-20  lost 2024-03-10    500     core      (Price)
D3    12     101      2023-12-10  won 2024-01-25     2000    new
D4    21     102      2024-02-01  open (Qualified)   800     core      2024-03-15
D5    21     103      2024-03-05  lost 2024-03-20    300     core      (no reason)
D6    12     101      2024-02-10  open (Lead)        700     new       2024-05-01
D7    11     100      2024-03-01  won 2024-04-10     450     core      2024-03-31
D8    12     101      2024-04-05  open (Lead)        900     core      2024-03-20
D9    11     105      2023-11-01  won 2023-12-20     5000    core
D10   21     102      2024-01-10  open (P-Intro)     800     core      2024-02-20
D11   12     104      2024-01-15  lost 2024-02-05    1200    core      (Timing)
D12   30     104      2023-06-01  lost 2023-07-01    50      services  (Price)
====  =====  =======  ==========  =================  ======  ========  ==========
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.queries import (
    count_overdue_activities,
    customer_contacts,
    customer_contacts_at,
    deal_flow_by_month,
    deal_labels,
    filter_options,
    largest_deals,
    overdue_activities,
    people,
)
from tests.support.crm_builder import CrmBuilder
from tests.support.frames import check, frame

dt = datetime
NA = pd.NA
NaT = pd.NaT
ADMIN = Scope.everyone()
Q1 = Filters(date(2024, 1, 1), date(2024, 4, 1))
LEAD, QUAL, PROP, WON, LOST, P_INTRO = 1, 2, 3, 4, 5, 6
NAMES = {10: "Hanna", 11: "Bob", 12: "Alice", 20: "Zoe", 21: "Carl", 22: "Bob", 30: "Eve"}


def build_scenario() -> CrmBuilder:
    b = CrmBuilder()
    b.team(1, "North team", region="North", head_id=10)
    b.team(2, "South team", region="South", head_id=20)
    b.team(3, "Service")
    for emp, team, role in [(10, 1, "head"), (11, 1, "rep"), (12, 1, "rep"), (20, 2, "head"),
                            (21, 2, "rep"), (22, 2, "rep"), (30, None, "exec")]:  # fmt: skip
        b.employee(emp, team_id=team, role=role, name=NAMES[emp])
    b.employee(31, role="analyst", name="dan")
    b.rows["employees"][-1]["left_at"] = date(2023, 6, 30)
    for account, owner, region in [(100, 11, "North"), (101, 12, "North"), (102, 21, "South"),
                                   (103, 21, "South"), (104, None, "West"), (105, 11, "North"),
                                   (106, 21, None)]:  # fmt: skip
        b.account(account, owner_id=owner, region=region)
    b.stage(LEAD, 1, "Lead")
    b.stage(QUAL, 2, "Qualified")
    b.stage(PROP, 3, "Proposal")
    b.stage(WON, 4, "Won", is_won=True)
    b.stage(LOST, 5, "Lost", is_lost=True)
    b.stage(P_INTRO, 1, "P-Intro", pipeline="partner")
    b.lost_reason(1, "Price")
    b.lost_reason(2, "Timing")
    b.product(1, "core")
    b.product(2, "new", is_new_line=True)

    b.deal(1, 11, 100, status="won", closed_at=dt(2024, 2, 15), history=[
        (LEAD, dt(2024, 1, 5), 1000.0), (WON, dt(2024, 2, 15), 1000.0)])  # fmt: skip
    b.deal(2, 11, 100, status="lost", closed_at=dt(2024, 3, 10), lost_reason_id=1, history=[
        (LEAD, dt(2024, 1, 20), 500.0), (LOST, dt(2024, 3, 10), 500.0)])  # fmt: skip
    b.deal(3, 12, 101, status="won", closed_at=dt(2024, 1, 25), product_line="new", history=[
        (LEAD, dt(2023, 12, 10), 2000.0), (WON, dt(2024, 1, 25), 2000.0)])  # fmt: skip
    b.deal(4, 21, 102, expected_close_at=date(2024, 3, 15), history=[
        (LEAD, dt(2024, 2, 1), 800.0), (QUAL, dt(2024, 2, 20), 800.0)])  # fmt: skip
    b.deal(5, 21, 103, status="lost", closed_at=dt(2024, 3, 20), history=[
        (LEAD, dt(2024, 3, 5), 300.0), (LOST, dt(2024, 3, 20), 300.0)])  # fmt: skip
    b.deal(6, 12, 101, product_line="new", expected_close_at=date(2024, 5, 1),
           history=[(LEAD, dt(2024, 2, 10), 700.0)])  # fmt: skip
    b.deal(7, 11, 100, status="won", closed_at=dt(2024, 4, 10),
           expected_close_at=date(2024, 3, 31), history=[
        (PROP, dt(2024, 3, 1), 450.0), (WON, dt(2024, 4, 10), 450.0)])  # fmt: skip
    b.deal(8, 12, 101, expected_close_at=date(2024, 3, 20),
           history=[(LEAD, dt(2024, 4, 5), 900.0)])  # fmt: skip
    b.deal(9, 11, 105, status="won", closed_at=dt(2023, 12, 20), history=[
        (LEAD, dt(2023, 11, 1), 5000.0), (WON, dt(2023, 12, 20), 5000.0)])  # fmt: skip
    b.deal(10, 21, 102, expected_close_at=date(2024, 2, 20),
           history=[(P_INTRO, dt(2024, 1, 10), 800.0)])  # fmt: skip
    b.deal(11, 12, 104, status="lost", closed_at=dt(2024, 2, 5), lost_reason_id=2, history=[
        (QUAL, dt(2024, 1, 15), 1200.0), (LOST, dt(2024, 2, 5), 1200.0)])  # fmt: skip
    b.deal(12, 30, 104, status="lost", closed_at=dt(2023, 7, 1), lost_reason_id=1,
           product_line="services", history=[
        (LEAD, dt(2023, 6, 1), 50.0), (LOST, dt(2023, 7, 1), 50.0)])  # fmt: skip

    # (id, employee, type, status, done_at, due_at, deal, account)
    for row in [
        (1, 11, "call", "done", dt(2024, 3, 25, 10), None, 7, 100),
        (2, 12, "email", "done", dt(2024, 3, 28, 9), None, None, 100),
        (3, 21, "call", "done", dt(2024, 4, 2), None, None, 102),
        (4, 21, "meeting", "done", dt(2024, 2, 10), None, 4, 102),
        (5, None, "task", "planned", None, dt(2024, 3, 1), None, 104),
        (6, 11, "call", "cancelled", None, dt(2024, 1, 15), None, 105),
        (7, 12, "call", "done", dt(2024, 4, 5), dt(2024, 3, 25), 6, 101),
        (8, 11, "task", "planned", None, dt(2024, 3, 30), 7, 100),
        (9, 21, "call", "planned", None, dt(2024, 4, 10), 4, 102),
        (10, 11, "task", "planned", None, dt(2024, 2, 1), None, None),
        (11, 11, "call", "done", dt(2024, 3, 5), dt(2024, 3, 4), 2, 100),
        (12, 21, "call", "done", dt(2024, 3, 10), dt(2024, 2, 15), None, 102),
    ]:
        aid, emp, typ, status, done, due, deal, account = row
        b.activity(aid, emp, typ, status, done_at=done, due_at=due, deal_id=deal,
                   account_id=account)  # fmt: skip

    b.order(1, 100, dt(2024, 1, 15), [(1, 1, 100.0)])
    b.order(2, 100, dt(2024, 3, 20), [(1, 1, 50.0), (2, 2, 100.0)])  # 250, of it 200 "new"
    b.order(3, 102, dt(2023, 10, 5), [(1, 4, 100.0)])
    b.order(4, 103, dt(2024, 4, 3), [(2, 1, 70.0)])  # after as_of
    b.order(5, 104, dt(2024, 2, 1), [(1, 3, 20.0)])
    return b


@pytest.fixture
def crm(empty_engine: sa.Engine) -> sa.Engine:
    return build_scenario().load(empty_engine)


# ---- deal flow ------------------------------------------------------------------------------

FLOW_COLS = "month created created_amount won won_amount lost lost_amount"
FLOW_DTYPES = {"month": "datetime", "created_amount": "float64", "won_amount": "float64",
               "lost_amount": "float64"}  # fmt: skip


def test_deal_flow_by_month(crm: sa.Engine) -> None:
    # created: Jan D1+D2+D10+D11 = 1000+500+800+1200; Feb D4+D6 = 800+700; Mar D5+D7 = 300+450
    # closed: Jan won D3 2000; Feb won D1 1000, lost D11 1200; Mar lost D2+D5 = 500+300
    expected = frame([
        (date(2024, 1, 1), 4, 3500.0, 1, 2000.0, 0, 0.0),
        (date(2024, 2, 1), 2, 1500.0, 1, 1000.0, 1, 1200.0),
        (date(2024, 3, 1), 2, 750.0, 0, 0.0, 2, 800.0),
    ], FLOW_COLS, FLOW_DTYPES)  # fmt: skip
    check(deal_flow_by_month(crm, Q1, ADMIN), expected)


def test_deal_flow_by_month_as_of_scope_and_filters(crm: sa.Engine) -> None:
    # as_of 2024-03-10: D2 closed exactly at as_of is still open, D5 closes later -> no Mar losses
    early = Filters(Q1.start, Q1.end, as_of=date(2024, 3, 10))
    assert deal_flow_by_month(crm, early, ADMIN)["lost"].tolist() == [0, 1, 0]
    # rep 12: D11 created Jan (1200) and lost Feb; D3 (created Dec) won Jan; D6 created Feb (700)
    rep12 = frame([
        (date(2024, 1, 1), 1, 1200.0, 1, 2000.0, 0, 0.0),
        (date(2024, 2, 1), 1, 700.0, 0, 0.0, 1, 1200.0),
    ], FLOW_COLS, FLOW_DTYPES)  # fmt: skip
    check(deal_flow_by_month(crm, Q1, Scope.rep(12)), rep12)
    # the "new" line: D3 won in Jan (a month without creations), D6 created in Feb
    new_line = Filters(Q1.start, Q1.end, product_lines=("new",))
    expected = frame([
        (date(2024, 1, 1), 0, 0.0, 1, 2000.0, 0, 0.0),
        (date(2024, 2, 1), 1, 700.0, 0, 0.0, 0, 0.0),
    ], FLOW_COLS, FLOW_DTYPES)  # fmt: skip
    check(deal_flow_by_month(crm, new_line, ADMIN), expected)
    # head of team 2 in the partner pipeline: D10 only; a filter on rep 11 cannot widen it
    partner = Filters(Q1.start, Q1.end, pipeline="partner")
    d10 = frame([(date(2024, 1, 1), 1, 800.0, 0, 0.0, 0, 0.0)], FLOW_COLS, FLOW_DTYPES)
    check(deal_flow_by_month(crm, partner, Scope.head(2)), d10)
    other = Filters(Q1.start, Q1.end, reps=(11,))
    check(deal_flow_by_month(crm, other, Scope.head(2)), frame([], FLOW_COLS, FLOW_DTYPES))


# ---- largest deals --------------------------------------------------------------------------

LIST_COLS = ("deal_id title account_id account owner_id owner product_line stage amount "
             "closed_at expected_close_at lost_reason")  # fmt: skip
LIST_DTYPES = {"title": "str", "account": "str", "owner": "str", "product_line": "str",
               "stage": "str", "amount": "float64", "closed_at": "datetime",
               "expected_close_at": "datetime", "lost_reason": "str"}  # fmt: skip


def test_largest_deals_won_and_lost(crm: sa.Engine) -> None:
    won = frame([
        (3, "Deal 3", 101, "Account 101", 12, "Alice", "new", "Won", 2000.0, dt(2024, 1, 25),
         NaT, None),
        (1, "Deal 1", 100, "Account 100", 11, "Bob", "core", "Won", 1000.0, dt(2024, 2, 15),
         NaT, None),
    ], LIST_COLS, LIST_DTYPES)  # fmt: skip
    check(largest_deals(crm, Q1, ADMIN, "won"), won)
    # lost in Q1: D11 1200 (Timing), D2 500 (Price), D5 300 (no reason); limit 2 cuts D5
    lost = frame([
        (11, "Deal 11", 104, "Account 104", 12, "Alice", "core", "Lost", 1200.0,
         dt(2024, 2, 5), NaT, "Timing"),
        (2, "Deal 2", 100, "Account 100", 11, "Bob", "core", "Lost", 500.0, dt(2024, 3, 10),
         NaT, "Price"),
    ], LIST_COLS, LIST_DTYPES)  # fmt: skip
    check(largest_deals(crm, Q1, ADMIN, "lost", limit=2), lost)
    all_lost = largest_deals(crm, Q1, ADMIN, "lost")
    assert all_lost["deal_id"].tolist() == [11, 2, 5]
    assert pd.isna(all_lost["lost_reason"].iloc[2])
    # as_of 2024-03-01: D2 (closed Mar 10) is not lost yet; head 2 won nothing; "new" won: D3
    early = Filters(Q1.start, Q1.end, as_of=date(2024, 3, 1))
    assert largest_deals(crm, early, ADMIN, "lost")["deal_id"].tolist() == [11]
    check(largest_deals(crm, Q1, Scope.head(2), "won"), frame([], LIST_COLS, LIST_DTYPES))
    new_line = Filters(Q1.start, Q1.end, product_lines=("new",))
    assert largest_deals(crm, new_line, ADMIN, "won")["deal_id"].tolist() == [3]
    with pytest.raises(ValueError, match="kind"):
        largest_deals(crm, Q1, ADMIN, "open")  # type: ignore[arg-type]


def test_largest_deals_slipped(crm: sa.Engine) -> None:
    # open at 2024-04-01 and expected to close in Q1: D4 (800), D10 (800, tie -> id), D7 (450,
    # won only on 2024-04-10, so at as_of still in Proposal, today's Won comes after as_of);
    # D8 was created after as_of, D6 is expected in May
    slipped = frame([
        (4, "Deal 4", 102, "Account 102", 21, "Carl", "core", "Qualified", 800.0, NaT,
         dt(2024, 3, 15), None),
        (10, "Deal 10", 102, "Account 102", 21, "Carl", "core", "P-Intro", 800.0, NaT,
         dt(2024, 2, 20), None),
        (7, "Deal 7", 100, "Account 100", 11, "Bob", "core", "Proposal", 450.0, NaT,
         dt(2024, 3, 31), None),
    ], LIST_COLS, LIST_DTYPES)  # fmt: skip
    check(largest_deals(crm, Q1, ADMIN, "slipped"), slipped)
    assert largest_deals(crm, Q1, Scope.rep(11), "slipped")["deal_id"].tolist() == [7]
    # as_of 2024-03-01: D4 is still due (Mar 15), D7 not yet created; D10 (Feb 20) slipped
    early = Filters(Q1.start, Q1.end, as_of=date(2024, 3, 1))
    assert largest_deals(crm, early, ADMIN, "slipped")["deal_id"].tolist() == [10]
    south_partner = Filters(Q1.start, Q1.end, regions=("South",), pipeline="sales")
    assert largest_deals(crm, south_partner, ADMIN, "slipped")["deal_id"].tolist() == [4]


# ---- deal labels ----------------------------------------------------------------------------

LABEL_COLS = ("deal_id title account owner stage status amount created_at closed_at "
              "expected_close_at")  # fmt: skip
LABEL_DTYPES = {"title": "str", "account": "str", "owner": "str", "stage": "str",
                "status": "str", "amount": "float64", "created_at": "datetime",
                "closed_at": "datetime", "expected_close_at": "datetime"}  # fmt: skip


def test_deal_labels(crm: sa.Engine) -> None:
    expected = frame([
        (1, "Deal 1", "Account 100", "Bob", "Won", "won", 1000.0, dt(2024, 1, 5),
         dt(2024, 2, 15), NaT),
        (3, "Deal 3", "Account 101", "Alice", "Won", "won", 2000.0, dt(2023, 12, 10),
         dt(2024, 1, 25), NaT),
        (4, "Deal 4", "Account 102", "Carl", "Qualified", "open", 800.0, dt(2024, 2, 1), NaT,
         dt(2024, 3, 15)),
    ], LABEL_COLS, LABEL_DTYPES)  # fmt: skip
    check(deal_labels(crm, ADMIN, [4, 3, 99, 1, 3]), expected)
    # rep 11 sees only D1 of those; the head of team 2 only D4
    assert deal_labels(crm, Scope.rep(11), [1, 3, 4])["deal_id"].tolist() == [1]
    assert deal_labels(crm, Scope.head(2), [1, 3, 4])["deal_id"].tolist() == [4]
    check(deal_labels(crm, ADMIN, []), frame([], LABEL_COLS, LABEL_DTYPES))


# ---- customers ------------------------------------------------------------------------------

CUST_COLS = ("account_id account owner_id owner region first_order_at last_order_at "
             "first_won_at last_activity_at open_deals revenue")  # fmt: skip
CUST_DTYPES = {"account": "str", "owner_id": "Int64", "owner": "str", "region": "str",
               "first_order_at": "datetime", "last_order_at": "datetime",
               "first_won_at": "datetime", "last_activity_at": "datetime",
               "revenue": "float64"}  # fmt: skip


def test_customer_contacts(crm: sa.Engine) -> None:
    # customers before 2024-04-01: orders (100, 102, 104; O4 of 103 is after as_of) or won
    # deals (D1 -> 100, D3 -> 101, D9 -> 105; D7 is won after as_of).
    # 100: orders 100 + 250; last done activity A2 (rep 12, on rep 11's account); open D7.
    # 101: open D6 (D8 created after as_of); A7 is done only after as_of.
    # 102: last done A12 on Mar 10 (A3 is after as_of); open D4 and D10.
    expected = frame([
        (100, "Account 100", 11, "Bob", "North", dt(2024, 1, 15), dt(2024, 3, 20),
         dt(2024, 2, 15), dt(2024, 3, 28, 9), 1, 350.0),
        (101, "Account 101", 12, "Alice", "North", NaT, NaT, dt(2024, 1, 25), NaT, 1, 0.0),
        (102, "Account 102", 21, "Carl", "South", dt(2023, 10, 5), dt(2023, 10, 5), NaT,
         dt(2024, 3, 10), 2, 400.0),
        (104, "Account 104", NA, None, "West", dt(2024, 2, 1), dt(2024, 2, 1), NaT, NaT, 0,
         60.0),
        (105, "Account 105", 11, "Bob", "North", NaT, NaT, dt(2023, 12, 20), NaT, 0, 0.0),
    ], CUST_COLS, CUST_DTYPES)  # fmt: skip
    check(customer_contacts(crm, Q1, ADMIN), expected)
    # without names: the same rows and values, the three name columns NA
    unnamed = expected.assign(account=pd.NA, owner=pd.NA, region=pd.NA)
    check(customer_contacts(crm, Q1, ADMIN, names=False), unnamed.astype(expected.dtypes))


@pytest.mark.parametrize("scope", [ADMIN, Scope.head(1)], ids=["admin", "head"])
def test_snapshots_read_as_windows_equal_single_snapshots(crm: sa.Engine, scope: Scope) -> None:
    # read as consecutive windows and accumulated (first dates kept; last dates, revenue and
    # open deals moved on), each snapshot equals the one read alone; names only where asked
    moments = [date(2024, 2, 1), date(2023, 11, 1), Q1.end, date(2024, 1, 20), date(2024, 2, 1)]
    snapshots = customer_contacts_at(crm, Q1, scope, moments, named=date(2024, 1, 20))
    assert list(snapshots) == [date(2024, 2, 1), date(2023, 11, 1), Q1.end, date(2024, 1, 20)]
    for moment, snapshot in snapshots.items():
        alone = customer_contacts(crm, replace(Q1, as_of=moment), scope)
        if moment != date(2024, 1, 20):
            alone = alone.assign(account=None, owner=None, region=None).astype(alone.dtypes)
        check(snapshot, alone)
    assert len(snapshots[Q1.end]) > len(snapshots[date(2023, 11, 1)])


def test_customer_contacts_as_of_scope_and_filters(crm: sa.Engine) -> None:
    # as_of 2024-02-01: orders O1 (100) and O3 (102), wins D3 (101) and D9 (105); open deals:
    # 100 has D1 and D2, 102 has D10 (D4 is created exactly at as_of)
    early = customer_contacts(crm, Filters(Q1.start, Q1.end, as_of=date(2024, 2, 1)), ADMIN)
    assert early["account_id"].tolist() == [100, 101, 102, 105]
    assert early["open_deals"].tolist() == [2, 0, 1, 0]
    assert early["revenue"].tolist() == [100.0, 0.0, 400.0, 0.0]
    assert customer_contacts(crm, Q1, Scope.rep(12))["account_id"].tolist() == [101]
    assert customer_contacts(crm, Q1, Scope.head(1))["account_id"].tolist() == [100, 101, 105]
    north = Filters(Q1.start, Q1.end, regions=("North",))
    assert customer_contacts(crm, north, Scope.rep(21)).empty
    # the "new" line: 100 through the new items of O2 (2 x 100), 101 through D3; the last
    # activity and open deals still describe the whole account
    new_line = Filters(Q1.start, Q1.end, product_lines=("new",))
    expected = frame([
        (100, "Account 100", 11, "Bob", "North", dt(2024, 3, 20), dt(2024, 3, 20), NaT,
         dt(2024, 3, 28, 9), 1, 200.0),
        (101, "Account 101", 12, "Alice", "North", NaT, NaT, dt(2024, 1, 25), NaT, 1, 0.0),
    ], CUST_COLS, CUST_DTYPES)  # fmt: skip
    check(customer_contacts(crm, new_line, ADMIN), expected)


# ---- overdue activities ---------------------------------------------------------------------

OVERDUE_COLS = "activity_id employee_id employee type due_at deal_id deal account_id account"
OVERDUE_DTYPES = {"employee_id": "Int64", "employee": "str", "type": "str",
                  "due_at": "datetime", "deal_id": "Int64", "deal": "str",
                  "account_id": "Int64", "account": "str"}  # fmt: skip


def test_overdue_activities(crm: sa.Engine) -> None:
    # still planned at 2024-04-01 and due before: A10, A5, A8 (planned), A7 (done only on
    # Apr 5); A9 is due later, A11/A12 were done before as_of, A6 is cancelled
    expected = frame([
        (10, 11, "Bob", "task", dt(2024, 2, 1), NA, None, NA, None),
        (5, NA, None, "task", dt(2024, 3, 1), NA, None, 104, "Account 104"),
        (7, 12, "Alice", "call", dt(2024, 3, 25), 6, "Deal 6", 101, "Account 101"),
        (8, 11, "Bob", "task", dt(2024, 3, 30), 7, "Deal 7", 100, "Account 100"),
    ], OVERDUE_COLS, OVERDUE_DTYPES)  # fmt: skip
    check(overdue_activities(crm, Q1, ADMIN), expected)
    check(overdue_activities(crm, Q1, ADMIN, limit=2), expected.iloc[:2])
    assert count_overdue_activities(crm, Q1, ADMIN) == 4


def test_overdue_activities_as_of_scope_and_filters(crm: sa.Engine) -> None:
    cases = [
        # as_of 2024-03-02: A12 (due Feb 15) is done only on Mar 10; A5 due Mar 1
        (Filters(Q1.start, Q1.end, as_of=date(2024, 3, 2)), ADMIN, [10, 12, 5]),
        (Q1, Scope.rep(11), [10, 8]),
        (Q1, Scope.head(2), []),
        # region: only activities of North accounts (A10 has no account)
        (Filters(Q1.start, Q1.end, regions=("North",)), ADMIN, [7, 8]),
        # product line: only activities on deals of that line
        (Filters(Q1.start, Q1.end, product_lines=("new",)), ADMIN, [7]),
        (Filters(Q1.start, Q1.end, reps=(12,)), Scope.rep(11), []),
    ]
    for filters, scope, ids in cases:
        assert overdue_activities(crm, filters, scope)["activity_id"].tolist() == ids
        assert count_overdue_activities(crm, filters, scope) == len(ids)


# ---- people and filter options --------------------------------------------------------------

PEOPLE_COLS = "employee_id name email role team_id team region heads_team_id left_at"
PEOPLE_DTYPES = {"name": "str", "email": "str", "role": "str", "team_id": "Int64",
                 "team": "str", "region": "str", "heads_team_id": "Int64",
                 "left_at": "datetime"}  # fmt: skip


def test_people(crm: sa.Engine) -> None:
    def row(emp: int, name: str, role: str, team: int | None, heads: int | None = None) -> tuple:
        team_name, region = {1: ("North team", "North"), 2: ("South team", "South")}.get(
            team, (None, None)
        )
        left = dt(2023, 6, 30) if emp == 31 else NaT
        email = f"e{emp}@example.com"
        return (emp, name, email, role, team or NA, team_name, region, heads or NA, left)

    expected = frame([
        row(12, "Alice", "rep", 1), row(11, "Bob", "rep", 1), row(22, "Bob", "rep", 2),
        row(21, "Carl", "rep", 2), row(30, "Eve", "exec", None),
        row(10, "Hanna", "head", 1, heads=1), row(20, "Zoe", "head", 2, heads=2),
        row(31, "dan", "analyst", None),
    ], PEOPLE_COLS, PEOPLE_DTYPES)  # fmt: skip
    check(people(crm), expected)


TEAM_COLS = "team_id name region"
TEAM_DTYPES = {"name": "str", "region": "str"}
REP_COLS = "employee_id name team_id left_at"
REP_DTYPES = {"name": "str", "team_id": "Int64", "left_at": "datetime"}


def test_filter_options(crm: sa.Engine) -> None:
    everything = filter_options(crm, ADMIN)
    teams = frame([(1, "North team", "North"), (3, "Service", None), (2, "South team", "South")],
                  TEAM_COLS, TEAM_DTYPES)  # fmt: skip
    check(everything.teams, teams)
    # reps and heads, plus the exec 30 who owns D12; not the analyst
    reps = frame([(12, "Alice", 1, NaT), (11, "Bob", 1, NaT), (22, "Bob", 2, NaT),
                  (21, "Carl", 2, NaT), (30, "Eve", NA, NaT), (10, "Hanna", 1, NaT),
                  (20, "Zoe", 2, NaT)], REP_COLS, REP_DTYPES)  # fmt: skip
    check(everything.reps, reps)
    assert everything.regions == ("North", "South", "West")
    assert everything.product_lines == ("core", "new", "services")
    assert everything.pipelines == ("partner", "sales")

    rep = filter_options(crm, Scope.rep(11))
    check(rep.teams, teams.iloc[[0]].reset_index(drop=True))
    check(rep.reps, reps.iloc[[1]].reset_index(drop=True))
    head = filter_options(crm, Scope.head(2, employee_id=20))
    check(head.teams, teams.iloc[[2]].reset_index(drop=True))
    check(head.reps, reps.iloc[[2, 3, 6]].reset_index(drop=True))
    assert head.regions == everything.regions


def test_filter_options_on_an_empty_crm(empty_engine: sa.Engine) -> None:
    engine = CrmBuilder().load(empty_engine)
    options = filter_options(engine, ADMIN)
    check(options.teams, frame([], TEAM_COLS, TEAM_DTYPES))
    check(options.reps, frame([], REP_COLS, REP_DTYPES))
    assert (options.regions, options.product_lines, options.pipelines) == ((), (), ())
    check(people(engine), frame([], PEOPLE_COLS, PEOPLE_DTYPES))
