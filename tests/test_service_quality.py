"""Service quality (``crm_data.queries.service_quality`` and ``analytics.service``) on a hand-built
CRM, on every dialect: counts, first-response SLA breaches, Kaplan–Meier medians with censoring
at as_of, ratings, active customers, complaints and repeat complainers, and the scope.

Q1 2024 evaluated on 15 Mar 2024 (as_of).  Team 1: rep 11 owns accounts 100 and 101, rep 12
owns 102; team 2: rep 21 owns 103 and 104.  First-response targets: urgent 1 h, high 4 h,
medium 8 h, low 24 h.

| ticket | account | category | priority | opened | answered | resolved | score |
|---|---|---|---|---|---|---|---|
| 1 | 100 | complaint | high | 10 Jan 08:00 | +2 h | +24 h | 2 |
| 2 | 100 | complaint | urgent | 5 Feb 09:00 | +2 h (late) | +48 h | 1 |
| 3 | 101 | question | medium | 20 Jan 00:00 | +8 h (on the target) | +12 h | 5 |
| 4 | 102 | repair | low | 10 Mar 00:00 | — (120 h at as_of: late) | — | — |
| 5 | 103 | question | high | 14 Mar 22:00 | — (2 h at as_of: not judged) | — | — |
| 6 | 103 | complaint | medium | 20 Feb 00:00 | by the resolution, +6 h | +6 h | — |
| 7 | 104 | question | low | 20 Dec 2023 | | 2 Jan 2024 | 4 |
| 8 | 102 | complaint | high | 16 Mar (after as_of) | | | |
| 9 | 101 | billing | medium | 1 Mar 00:00 | +1 h | 20 Mar (after as_of: 336 h open) | 3 |
| 10 | 100 | complaint | medium | 5 Mar 00:00 | +10 h (late) | +24 h | 2 |

Orders: 100 on 1 Feb 2024, 101 on 1 Jun 2023, 102 on 1 Dec 2022 (more than 365 days before
as_of), 103 on 20 Mar 2024 (after as_of), 104 on 10 Mar 2023 (371 days before as_of).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.service import (
    ACTIVE_DAYS,
    COMPLAINT,
    SLA_FIRST_RESPONSE_HOURS,
    category_table,
    complaints_and_churn,
    monthly_service,
    repeat_complainers,
    service_kpis,
    sla_table,
    waiting_times,
)
from crm_data.filters import Filters, Scope
from crm_data.queries.service_quality import (
    customer_complaints,
    ticket_counts,
    ticket_ratings,
    ticket_times,
)
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import scenario_fixture
from tests.support.frames import check, frame

dt = datetime
AS_OF = date(2024, 3, 15)
Q1 = Filters(date(2024, 1, 1), date(2024, 4, 1), as_of=AS_OF)
ADMIN = Scope.everyone()
SLA = SLA_FIRST_RESPONSE_HOURS
H = timedelta(hours=1)
JAN, FEB, MAR = dt(2024, 1, 1), dt(2024, 2, 1), dt(2024, 3, 1)

#: (id, account, category, priority, opened, first response, resolved, score)
TICKETS = [
    (1, 100, "complaint", "high", dt(2024, 1, 10, 8), dt(2024, 1, 10, 10), dt(2024, 1, 11, 8), 2),
    (2, 100, "complaint", "urgent", dt(2024, 2, 5, 9), dt(2024, 2, 5, 11), dt(2024, 2, 7, 9), 1),
    (3, 101, "question", "medium", dt(2024, 1, 20), dt(2024, 1, 20, 8), dt(2024, 1, 20, 12), 5),
    (4, 102, "repair", "low", dt(2024, 3, 10), None, None, None),
    (5, 103, "question", "high", dt(2024, 3, 14, 22), None, None, None),
    (6, 103, "complaint", "medium", dt(2024, 2, 20), None, dt(2024, 2, 20, 6), None),
    (7, 104, "question", "low", dt(2023, 12, 20), dt(2023, 12, 20, 5), dt(2024, 1, 2), 4),
    (8, 102, "complaint", "high", dt(2024, 3, 16), dt(2024, 3, 16, 1), None, None),
    (9, 101, "billing", "medium", dt(2024, 3, 1), dt(2024, 3, 1, 1), dt(2024, 3, 20), 3),
    (10, 100, "complaint", "medium", dt(2024, 3, 5), dt(2024, 3, 5, 10), dt(2024, 3, 6), 2),
]  # fmt: skip


def build() -> CrmBuilder:
    b = CrmBuilder()
    b.team(1, head_id=10)
    b.team(2, head_id=20)
    for emp, team, role in [(10, 1, "head"), (11, 1, "rep"), (12, 1, "rep"), (20, 2, "head"),
                            (21, 2, "rep"), (31, None, "service")]:  # fmt: skip
        b.employee(emp, team_id=team, role=role)
    for account, owner in [(100, 11), (101, 11), (102, 12), (103, 21), (104, 21)]:
        b.account(account, owner_id=owner)
    b.product(1, "core")
    for oid, account, at in [(1, 100, dt(2024, 2, 1)), (2, 101, dt(2023, 6, 1)),
                             (3, 102, dt(2022, 12, 1)), (4, 103, dt(2024, 3, 20)),
                             (5, 104, dt(2023, 3, 10))]:  # fmt: skip
        b.order(oid, account, at, [(1, 1, 100.0)])
    for tid, account, category, priority, opened, answered, resolved, score in TICKETS:
        b.row("tickets", id=tid, account_id=account, assignee_id=31, category=category,
              priority=priority, opened_at=opened, first_response_at=answered,
              resolved_at=resolved, satisfaction=score)  # fmt: skip
    return b


crm = scenario_fixture(build)

COUNT_COLUMNS = "category priority month tickets answered resolved judged breached"
COUNT_KINDS = {"category": "str", "priority": "str", "month": "datetime"}


def test_ticket_counts_judge_the_first_response_at_as_of(crm: sa.Engine) -> None:
    got = ticket_counts(crm, Q1, ADMIN, SLA)
    expected = frame([
        ("billing", "medium", MAR, 1, 1, 0, 1, 0),  # 9: resolved only after as_of
        ("complaint", "high", JAN, 1, 1, 1, 1, 0),  # 1: 2 h of 4
        ("complaint", "medium", FEB, 1, 1, 1, 1, 0),  # 6: answered by its resolution after 6 h
        ("complaint", "medium", MAR, 1, 1, 1, 1, 1),  # 10: 10 h of 8
        ("complaint", "urgent", FEB, 1, 1, 1, 1, 1),  # 2: 2 h of 1
        ("question", "high", MAR, 1, 0, 0, 0, 0),  # 5: waiting 2 h of 4, not judged yet
        ("question", "medium", JAN, 1, 1, 1, 1, 0),  # 3: exactly 8 h is on time
        ("repair", "low", MAR, 1, 0, 0, 1, 1),  # 4: unanswered for 120 h of 24
    ], COUNT_COLUMNS, COUNT_KINDS)  # fmt: skip
    check(got, expected)
    # a priority without a target is never judged
    no_sla = ticket_counts(crm, Q1, ADMIN, {})
    assert no_sla[["judged", "breached"]].sum().tolist() == [0, 0]
    assert no_sla["tickets"].sum() == 8


def test_ticket_times_censor_what_has_not_happened_by_as_of(crm: sa.Engine) -> None:
    times = ticket_times(crm, Q1, ADMIN)
    waits = times.set_index(["category", "priority", "measure"])
    assert waits.loc[("repair", "low", "response"), ["hours", "censored"]].tolist() == [120.0, True]
    assert waits.loc[("billing", "medium", "resolution"), ["hours", "censored"]].tolist() == [
        336.0, True
    ]  # fmt: skip
    assert waits.loc[("complaint", "medium", "response"), "hours"].tolist() == [6.0, 10.0]
    assert times["tickets"].sum() == 16  # eight tickets, two waits each
    # Kaplan–Meier over everything: response 1 | 2 2 (2 still waiting) | 6 ... -> S(6) = 0.469
    total = waiting_times(times).iloc[0]
    assert total[["tickets", "answered", "resolved"]].tolist() == [8, 6, 5]
    assert total["median_first_response_hours"] == 6.0
    assert total["median_resolution_hours"] == 24.0  # S(24) = 6/7 · 5/6 · 3/5 = 0.43


def test_ticket_ratings_by_month_of_resolution(crm: sa.Engine) -> None:
    got = ticket_ratings(crm, Q1, ADMIN)
    expected = frame([
        ("complaint", JAN, 1, 1, 2.0), ("complaint", FEB, 2, 1, 1.0),
        ("complaint", MAR, 1, 1, 2.0), ("question", JAN, 2, 2, 9.0),
    ], "category month resolved rated satisfaction_sum",
        {"category": "str", "month": "datetime", "satisfaction_sum": "float64"})  # fmt: skip
    check(got, expected)


def test_customer_complaints_and_active_customers(crm: sa.Engine) -> None:
    got = customer_complaints(crm, Q1, ADMIN, category=COMPLAINT, active_days=ACTIVE_DAYS)
    expected = frame([
        (100, "Account 100", 11, dt(2024, 2, 1), True, 3, dt(2024, 3, 5)),
        (101, "Account 101", 11, dt(2023, 6, 1), True, 0, None),
        (103, "Account 103", 21, None, False, 1, dt(2024, 2, 20)),  # its order came later
    ], "account_id name owner_id last_order_at active complaints last_complaint_at",
        {"account_id": "int64", "name": "str", "owner_id": "Int64", "last_order_at": "datetime",
         "active": "bool", "last_complaint_at": "datetime"})  # fmt: skip
    check(got, expected)
    # 104 ordered 371 days before as_of: active in a window of 371 days, not of 370
    wider = customer_complaints(crm, Q1, ADMIN, category=COMPLAINT, active_days=371)
    assert wider["account_id"].tolist() == [100, 101, 103, 104]
    narrower = customer_complaints(crm, Q1, ADMIN, category=COMPLAINT, active_days=370)
    assert narrower["account_id"].tolist() == [100, 101, 103]


def test_a_scope_sees_the_tickets_of_its_accounts(crm: sa.Engine) -> None:
    rep = Scope.rep(11)  # accounts 100 and 101: tickets 1, 2, 3, 9, 10
    assert ticket_counts(crm, Q1, rep, SLA)["tickets"].sum() == 5
    assert ticket_times(crm, Q1, rep)["tickets"].sum() == 10
    assert ticket_ratings(crm, Q1, rep)["rated"].sum() == 4  # 1, 2, 3, 10 (7 is 104's)
    mine = customer_complaints(crm, Q1, rep, category=COMPLAINT, active_days=ACTIVE_DAYS)
    assert mine[["account_id", "complaints"]].values.tolist() == [[100, 3], [101, 0]]
    team = Scope.head(2)  # accounts 103 and 104: tickets 5 and 6 (7 was opened before Q1)
    counts = ticket_counts(crm, Q1, team, SLA)
    assert counts[["category", "tickets"]].values.tolist() == [["complaint", 1], ["question", 1]]
    theirs = customer_complaints(crm, Q1, team, category=COMPLAINT, active_days=ACTIVE_DAYS)
    assert theirs["account_id"].tolist() == [103]
    # a filter narrows the scope, never widens it
    other_team = Filters(Q1.start, Q1.end, teams=(1,), as_of=AS_OF)
    assert ticket_counts(crm, other_team, team, SLA).empty


def test_an_empty_period_keeps_the_columns_and_dtypes(crm: sa.Engine) -> None:
    empty = Filters(date(2020, 1, 1), date(2020, 2, 1))
    counts = ticket_counts(crm, empty, ADMIN, SLA)
    assert counts.empty and list(counts.columns) == COUNT_COLUMNS.split()
    assert str(counts["month"].dtype) == "datetime64[us]"
    times, ratings = ticket_times(crm, empty, ADMIN), ticket_ratings(crm, empty, ADMIN)
    customers = customer_complaints(crm, empty, ADMIN, category=COMPLAINT, active_days=30)
    assert times.empty and ratings.empty and customers.empty
    kpis = service_kpis(counts, times, ratings, customers)
    assert kpis["tickets_opened"] == 0.0 and kpis["complaints"] == 0.0
    assert all(
        math.isnan(kpis[k])
        for k in (
            "first_response_hours",
            "resolution_hours",
            "sla_breach_share",
            "csat",
            "complaints_per_100",
        )
    )
    assert monthly_service(counts, ratings).empty
    assert category_table(counts, times, ratings).empty
    assert sla_table(counts, times)["tickets"].tolist() == [0, 0, 0, 0]


# ---- analytics on the query results --------------------------------------------------------------


@pytest.fixture
def read(crm: sa.Engine) -> dict[str, pd.DataFrame]:
    return {
        "counts": ticket_counts(crm, Q1, ADMIN, SLA),
        "times": ticket_times(crm, Q1, ADMIN),
        "ratings": ticket_ratings(crm, Q1, ADMIN),
        "customers": customer_complaints(crm, Q1, ADMIN, category=COMPLAINT,
                                         active_days=ACTIVE_DAYS),
    }  # fmt: skip


def test_service_kpis_by_hand(read: dict[str, pd.DataFrame]) -> None:
    kpis = service_kpis(read["counts"], read["times"], read["ratings"], read["customers"])
    assert kpis["tickets_opened"] == 8.0
    assert kpis["first_response_hours"] == 6.0 and kpis["resolution_hours"] == 24.0
    assert kpis["sla_breach_share"] == pytest.approx(3 / 7)  # tickets 2, 4, 10 of seven judged
    assert kpis["csat"] == pytest.approx(14 / 5)  # 2, 1, 2, 5, 4
    # four complaints (1, 2, 6, 10) for two active customers (100, 101)
    assert (kpis["complaints"], kpis["active_customers"]) == (4.0, 2.0)
    assert kpis["complaints_per_100"] == 200.0
    assert (kpis["judged"], kpis["rated"]) == (7.0, 5.0)


def test_tickets_by_category_by_hand(read: dict[str, pd.DataFrame]) -> None:
    table = category_table(read["counts"], read["times"], read["ratings"]).set_index("category")
    assert list(table.index) == ["complaint", "question", "billing", "repair"]
    assert table["tickets"].tolist() == [4, 2, 1, 1]
    assert table["share"].tolist() == [0.5, 0.25, 0.125, 0.125]
    # complaints: answered after 2, 2, 6, 10 h; resolved after 6, 24, 24, 48 h
    assert table.loc["complaint", ["median_first_response_hours",
                                   "median_resolution_hours"]].tolist() == [2.0, 24.0]  # fmt: skip
    assert table.loc["question", ["median_first_response_hours",
                                  "median_resolution_hours"]].tolist() == [8.0, 12.0]  # fmt: skip
    # the repair ticket is still waiting, the billing one still open: no median
    assert math.isnan(table.loc["repair", "median_first_response_hours"])
    assert table.loc["billing", "median_first_response_hours"] == 1.0
    assert math.isnan(table.loc["billing", "median_resolution_hours"])
    assert table.loc["complaint", ["judged", "breached", "breach_share"]].tolist() == [4, 2, 0.5]
    assert table.loc["question", ["judged", "breach_share"]].tolist() == [1, 0.0]
    # satisfaction of the tickets resolved in Q1: complaints 2, 1, 2 (6 unrated); questions 5, 4
    assert table.loc["complaint", ["resolved", "rated", "csat"]].tolist() == [4, 3, 5 / 3]
    assert table.loc["question", ["resolved", "rated", "csat"]].tolist() == [2, 2, 4.5]


def test_sla_by_priority_by_hand(read: dict[str, pd.DataFrame]) -> None:
    table = sla_table(read["counts"], read["times"]).set_index("priority")
    assert list(table.index) == ["urgent", "high", "medium", "low"]
    assert table["target_hours"].tolist() == [1.0, 4.0, 8.0, 24.0]
    assert table["tickets"].tolist() == [1, 2, 4, 1]
    assert table["judged"].tolist() == [1, 1, 4, 1]
    assert table["breached"].tolist() == [1, 0, 1, 1]
    assert table["breach_share"].tolist() == [1.0, 0.0, 0.25, 1.0]
    # medium: answered after 1, 6, 8, 10 h -> 6; high: 2 h and one still waiting at 2 h -> 2
    assert table["median_first_response_hours"].tolist()[:3] == [2.0, 2.0, 6.0]
    assert math.isnan(table.loc["low", "median_first_response_hours"])


def test_month_by_month_by_hand(read: dict[str, pd.DataFrame]) -> None:
    trend = monthly_service(read["counts"], read["ratings"])
    assert trend["month"].tolist() == [pd.Timestamp(JAN), pd.Timestamp(FEB), pd.Timestamp(MAR)]
    assert trend["tickets"].tolist() == [2, 2, 4]
    assert trend["breached"].tolist() == [0, 1, 2] and trend["judged"].tolist() == [2, 2, 3]
    assert trend["rated"].tolist() == [3, 1, 1]
    assert trend["csat"].tolist() == pytest.approx([11 / 3, 1.0, 2.0])


def test_repeat_complainers_and_churn_by_hand(read: dict[str, pd.DataFrame]) -> None:
    customers = read["customers"]
    complainers = repeat_complainers(customers)
    assert complainers[["account_id", "complaints"]].values.tolist() == [[100, 3]]
    # active: 100 (complained, last order 1 Feb) and 101 (no complaint, last order 1 Jun 2023,
    # more than 90 days before as_of: lapsed); 103 complained but is no active customer
    risk = pd.Series([0.3, 0.6, 0.9], index=[100, 101, 103])
    table = complaints_and_churn(customers, pd.Timestamp(AS_OF), risk)
    assert table.to_dict("records") == [
        {"complained": True, "customers": 1, "lapsed": 0, "lapse_share": 0.0, "valued": 1,
         "churn_risk": 0.3},
        {"complained": False, "customers": 1, "lapsed": 1, "lapse_share": 1.0, "valued": 1,
         "churn_risk": 0.6},
    ]  # fmt: skip
    unvalued = complaints_and_churn(customers, pd.Timestamp(AS_OF))
    assert unvalued["valued"].tolist() == [0, 0] and unvalued["churn_risk"].isna().all()
