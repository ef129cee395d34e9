"""One customer's record (``crm_data.queries.customer_record``) and the open items behind the
next action (``crm_data.queries.open_items``) on a hand-built CRM, on every dialect: what
happened before as_of and only that, the search (name, e-mail, id; LIKE wildcards taken
literally) and the scope (a rep finds and opens only their own accounts)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.queries.customer_record import (
    customer_activities,
    customer_campaigns,
    customer_deals,
    customer_order_totals,
    customer_orders,
    customer_profile,
    customer_tickets,
    find_customers,
)
from crm_data.queries.open_items import open_items
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import scenario_fixture

dt = datetime
#: Q1 2024, evaluated on 15 March.
FILTERS = Filters(date(2024, 1, 1), date(2024, 4, 1), as_of=date(2024, 3, 15))
ADMIN = Scope.everyone()
LEAD, PROPOSAL, LOST, WON = 1, 2, 8, 9


def ticket(b: CrmBuilder, id: int, category: str, opened: datetime,
           resolved: datetime | None = None, satisfaction: int | None = None) -> None:  # fmt: skip
    b.row("tickets", id=id, account_id=100, assignee_id=30, category=category, priority="high",
          opened_at=opened, first_response_at=opened, resolved_at=resolved,
          satisfaction=satisfaction)  # fmt: skip


def record_crm() -> CrmBuilder:
    """Account 100 (rep 11) with a history around as_of; 101 (rep 12) and 102 (rep 21)."""
    b = CrmBuilder()
    b.team(1)
    b.team(2)
    b.employee(11, team_id=1)
    b.employee(12, team_id=1)
    b.employee(21, team_id=2)
    b.employee(30, role="service")
    for account, owner in ((100, 11), (101, 12), (102, 21)):
        b.account(account, owner_id=owner)
    b.rows["accounts"][0]["name"] = "Acme 50% Off"
    b.row("contacts", id=1, account_id=101, name="Bea Buyer", email="Bea@Globex.example",
          phone=None, position=None, created_at=dt(2023, 1, 1))  # fmt: skip
    b.row("contacts", id=2, account_id=100, name="Al", email="al@acme.example", phone=None,
          position=None, created_at=dt(2023, 1, 1))  # fmt: skip
    b.stage(LEAD, 1, "Lead")
    b.stage(PROPOSAL, 2, "Proposal")
    b.stage(LOST, 8, "Lost", is_lost=True)
    b.stage(WON, 9, "Won", is_won=True)
    b.product(1, "core")
    # D1 is won after as_of: open in Proposal then; D2 lost before; D3 created after as_of
    b.deal(1, 11, 100, status="won", closed_at=dt(2024, 3, 20), history=[
        (LEAD, dt(2024, 1, 5), 100.0), (PROPOSAL, dt(2024, 2, 1), 150.0),
        (WON, dt(2024, 3, 20), 160.0)])  # fmt: skip
    b.deal(2, 11, 100, status="lost", closed_at=dt(2024, 2, 10), history=[
        (LEAD, dt(2024, 1, 10), 70.0), (LOST, dt(2024, 2, 10), 70.0)])  # fmt: skip
    b.deal(3, 11, 100, history=[(LEAD, dt(2024, 3, 20), 90.0)])
    b.order(1, 100, dt(2024, 1, 15), [(1, 1, 40.0), (1, 2, 30.0)])
    b.order(2, 100, dt(2024, 2, 15), [(1, 3, 100.0)])
    b.order(3, 100, dt(2024, 3, 16), [(1, 1, 500.0)])  # after as_of
    b.order(4, 101, dt(2024, 2, 1), [(1, 1, 10.0)])
    for aid, status, done, due in [
        (1, "done", dt(2024, 2, 1), None),
        (2, "planned", None, dt(2024, 3, 1)),  # overdue at as_of
        (3, "done", dt(2024, 3, 20), dt(2024, 3, 10)),  # done after as_of: overdue then
        (4, "cancelled", None, dt(2024, 3, 5)),
        (5, "planned", None, dt(2024, 4, 1)),  # due after as_of
    ]:
        b.activity(aid, 11, "call", status, done_at=done, due_at=due, account_id=100,
                   deal_id=1 if aid == 1 else None)  # fmt: skip
    b.activity(6, 12, "task", "planned", due_at=dt(2024, 3, 14, 12), account_id=101)
    ticket(b, 1, "complaint", dt(2024, 2, 1), dt(2024, 2, 3), 4)
    ticket(b, 2, "complaint", dt(2024, 3, 1), dt(2024, 3, 20), 2)  # resolved after as_of
    ticket(b, 3, "question", dt(2024, 3, 10))
    b.row("campaigns", id=1, name="Spring", channel="email", started_at=dt(2024, 2, 1),
          ended_at=None, budget=100.0, segment=None)  # fmt: skip
    b.row("campaign_members", id=1, campaign_id=1, account_id=100, sent_at=dt(2024, 2, 1),
          responded_at=dt(2024, 2, 2), response="clicked")  # fmt: skip
    b.row("campaign_members", id=2, campaign_id=1, account_id=100, sent_at=dt(2024, 3, 1),
          responded_at=dt(2024, 3, 16), response="clicked")  # fmt: skip
    b.row("campaign_members", id=3, campaign_id=1, account_id=100, sent_at=dt(2024, 3, 16),
          responded_at=None, response=None)  # fmt: skip
    return b


crm = scenario_fixture(record_crm)


def ids(frame: pd.DataFrame, column: str = "account_id") -> list[int]:
    return [int(v) for v in frame[column]]


def test_search_by_name_email_and_id(crm: sa.Engine) -> None:
    assert ids(find_customers(crm, ADMIN, "ACME")) == [100]
    assert ids(find_customers(crm, ADMIN, "globex")) == [101]
    assert find_customers(crm, ADMIN, "globex")["email"].tolist() == ["Bea@Globex.example"]
    assert ids(find_customers(crm, ADMIN, "102")) == [102]
    assert ids(find_customers(crm, ADMIN, "account")) == [101, 102]  # by name
    assert ids(find_customers(crm, ADMIN, "  account  ", limit=1)) == [101]


def test_search_takes_wildcards_literally_and_nothing_for_empty_text(crm: sa.Engine) -> None:
    assert ids(find_customers(crm, ADMIN, "50%")) == [100]
    assert ids(find_customers(crm, ADMIN, "%")) == [100]  # only the name with a "%"
    assert find_customers(crm, ADMIN, "_").empty  # "_" is not "any character"
    assert find_customers(crm, ADMIN, "   ").empty
    assert find_customers(crm, ADMIN, "x" * 1000).empty  # cut, and no error


def test_a_rep_finds_and_opens_only_own_accounts(crm: sa.Engine) -> None:
    assert find_customers(crm, Scope.rep(11), "account").empty
    assert ids(find_customers(crm, Scope.rep(12), "account")) == [101]
    assert find_customers(crm, Scope.rep(11), "101").empty
    assert ids(find_customers(crm, Scope.head(1), "account")) == [101]
    assert customer_profile(crm, Scope.rep(11), 101).empty
    assert customer_order_totals(crm, FILTERS, Scope.rep(11), 101).empty
    for query in (customer_orders, customer_deals, customer_activities, customer_tickets,
                  customer_campaigns):  # fmt: skip
        assert query(crm, FILTERS, Scope.rep(12), 100).empty, query.__name__
        assert not query(crm, FILTERS, Scope.rep(11), 100).empty, query.__name__


def test_profile(crm: sa.Engine) -> None:
    profile = customer_profile(crm, ADMIN, 100).iloc[0]
    assert (profile["name"], profile["owner"], profile["contacts"], profile["email"]) == (
        "Acme 50% Off", "Employee 11", 1, "al@acme.example"
    )  # fmt: skip
    assert customer_profile(crm, ADMIN, 999).empty


def test_orders_before_as_of(crm: sa.Engine) -> None:
    orders = customer_orders(crm, FILTERS, ADMIN, 100)
    assert ids(orders, "order_id") == [2, 1]
    assert orders["amount"].tolist() == [300.0, 100.0]
    assert orders["items"].tolist() == [1, 2]
    totals = customer_order_totals(crm, FILTERS, ADMIN, 100).iloc[0]
    assert (totals["orders"], totals["revenue"]) == (2, 400.0)
    assert (totals["first_order_at"], totals["last_order_at"]) == (
        pd.Timestamp(2024, 1, 15), pd.Timestamp(2024, 2, 15)
    )  # fmt: skip
    none = customer_order_totals(crm, FILTERS, ADMIN, 102).iloc[0]
    assert (none["orders"], none["revenue"]) == (0, 0.0) and pd.isna(none["last_order_at"])


def test_deals_as_they_stood_at_as_of(crm: sa.Engine) -> None:
    deals = customer_deals(crm, FILTERS, ADMIN, 100)
    assert ids(deals, "deal_id") == [2, 1]  # D3 was created after as_of
    lost, open_ = deals.iloc[0], deals.iloc[1]
    assert (lost["status"], lost["stage"], lost["amount"], lost["stages"]) == (
        "lost", "Lost", 70.0, 2
    )  # fmt: skip
    assert lost["closed_at"] == pd.Timestamp(2024, 2, 10)
    assert (open_["status"], open_["stage"], open_["amount"], open_["stages"]) == (
        "open", "Proposal", 150.0, 2
    )  # fmt: skip
    assert pd.isna(open_["closed_at"]) and open_["stage_entered_at"] == pd.Timestamp(2024, 2, 1)


def test_activities_done_before_and_planned_at_as_of(crm: sa.Engine) -> None:
    acts = customer_activities(crm, FILTERS, ADMIN, 100)
    assert ids(acts, "activity_id") == [5, 3, 2, 1]  # cancelled 4 left out, latest first
    assert acts["status"].tolist() == ["planned", "planned", "planned", "done"]
    assert acts["at"].tolist() == [pd.Timestamp(2024, 4, 1), pd.Timestamp(2024, 3, 10),
                                   pd.Timestamp(2024, 3, 1), pd.Timestamp(2024, 2, 1)]  # fmt: skip


def test_tickets_and_campaigns_before_as_of(crm: sa.Engine) -> None:
    tickets = customer_tickets(crm, FILTERS, ADMIN, 100)
    assert ids(tickets, "ticket_id") == [3, 2, 1]
    assert tickets["resolved_at"].isna().tolist() == [True, True, False]
    assert tickets["satisfaction"].isna().tolist() == [True, True, False]  # 2 rated later
    assert int(tickets["satisfaction"].iloc[2]) == 4
    campaigns = customer_campaigns(crm, FILTERS, ADMIN, 100)
    assert campaigns["sent_at"].tolist() == [pd.Timestamp(2024, 3, 1), pd.Timestamp(2024, 2, 1)]
    assert campaigns["responded_at"].isna().tolist() == [True, False]  # answered after as_of
    assert campaigns["response"].isna().tolist() == [True, False]


def test_open_items_at_as_of(crm: sa.Engine) -> None:
    items = open_items(crm, FILTERS, ADMIN)
    assert ids(items) == [100, 101]
    acme, globex = items.iloc[0], items.iloc[1]
    assert (acme["open_complaints"], acme["overdue_activities"]) == (1, 2)
    assert acme["oldest_complaint_days"] == pytest.approx(14.0)  # opened 1 March
    assert acme["latest_overdue_days"] == pytest.approx(5.0)  # due 10 March
    assert (globex["open_complaints"], globex["overdue_activities"]) == (0, 1)
    assert pd.isna(globex["oldest_complaint_days"])
    assert globex["latest_overdue_days"] == pytest.approx(0.5)
    assert ids(open_items(crm, FILTERS, Scope.rep(12))) == [101]
    later = open_items(crm, Filters(date(2024, 1, 1), date(2024, 4, 1), as_of=date(2024, 3, 25)),
                       ADMIN)  # fmt: skip
    # complaint 2 resolved and activity 3 done by then; activity 5 is not yet due
    assert (later.iloc[0]["open_complaints"], later.iloc[0]["overdue_activities"]) == (0, 1)
