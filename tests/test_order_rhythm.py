"""The per-customer "forgotten" variant (METRICS.md "Forgotten client"): each customer's median
gap between orders, computed in SQL on all four dialects, and who is overdue for a re-order.

Accounts (as of 1 Apr 2024): 100 (rep 11) orders on 1, 11, 21 Jan and 20 Feb — gaps 10, 10,
30 → median 10 days, last order 41 days ago → overdue (> 20 days); 101 (rep 11) orders on 1 Jan
and 1 Mar — one gap of 60 days, last order 31 days ago → not overdue (< 120); 102 (rep 21)
orders on 1, 3, 7, 15 Mar — gaps 2, 4, 8 → median 4, last order 17 days ago → overdue, but it has
an open deal → not listed; 103 has a single order → no rhythm.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from analytics.clients import overdue_by_rhythm
from crm_data.filters import Filters, Scope
from crm_data.queries.customer_contacts import customer_contacts
from crm_data.queries.customers import order_rhythm
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import scenario_fixture

Q1 = Filters(date(2024, 1, 1), date(2024, 4, 1))
ORDERS = {
    100: [
        datetime(2024, 1, 1),
        datetime(2024, 1, 11),
        datetime(2024, 1, 21),
        datetime(2024, 2, 20),
    ],
    101: [datetime(2024, 1, 1), datetime(2024, 3, 1)],
    102: [datetime(2024, 3, 1), datetime(2024, 3, 3), datetime(2024, 3, 7), datetime(2024, 3, 15)],
    103: [datetime(2024, 2, 1)],
}


def build() -> CrmBuilder:
    crm = CrmBuilder()
    crm.team(1)
    crm.team(2)
    crm.employee(11, team_id=1)
    crm.employee(21, team_id=2)
    crm.stage(1, 1, "Lead")
    crm.product(1, "core")
    for account, owner in [(100, 11), (101, 11), (102, 21), (103, 21)]:
        crm.account(account, owner)
    order_id = 0
    for account, moments in ORDERS.items():
        for moment in moments:
            order_id += 1
            crm.order(order_id, account, moment, [(1, 1, 100.0)])
    crm.deal(1, owner_id=21, account_id=102, history=[(1, datetime(2024, 3, 20), 500.0)])
    return crm


crm = scenario_fixture(build)


def test_median_gap_per_customer(crm: sa.Engine) -> None:
    rhythm = order_rhythm(crm, Q1, Scope.everyone()).set_index("account_id")
    assert rhythm.index.tolist() == [100, 101, 102]  # 103 has a single order
    assert rhythm["gaps"].tolist() == [3, 1, 3]
    assert rhythm["median_gap_days"].tolist() == pytest.approx([10.0, 60.0, 4.0])
    # a rep sees only own accounts
    assert order_rhythm(crm, Q1, Scope.rep(11))["account_id"].tolist() == [100, 101]


def test_overdue_by_own_rhythm(crm: sa.Engine) -> None:
    customers = customer_contacts(crm, Q1, Scope.everyone())
    rhythm = order_rhythm(crm, Q1, Scope.everyone())
    overdue = overdue_by_rhythm(customers, rhythm, Q1.as_of_ts)
    assert overdue["account_id"].tolist() == [100]  # 102 is overdue but has an open deal
    row = overdue.iloc[0]
    assert row["days_since_order"] == pytest.approx(41.0)
    assert row["overdue_by"] == pytest.approx(4.1)
