"""Service metrics: ticket queries on all four dialects (hand-built tickets, exact values) and
the analytics on top (satisfaction, Kaplan–Meier resolution time).

Scenario (Q1 2024, as of 1 Apr 2024): team 1 (head 10; reps 11, 12 own accounts 100, 101),
team 2 (rep 21 owns account 102); service agents 31 and 32 are assignees.

| ticket | account | assignee | opened | resolved | score |
|---|---|---|---|---|---|
| 1 | 100 | 31 | 2 Jan 08:00 | 2 Jan 20:00 (12 h) | 5 |
| 2 | 100 | 31 | 10 Jan 00:00 | 11 Jan 00:00 (24 h) | 3 |
| 3 | 101 | 31 | 1 Mar 00:00 | — (open: censored at 1 Apr, 744 h) | — |
| 4 | 102 | 32 | 5 Feb 00:00 | 5 Feb 06:30 (6.5 h) | — |
| 5 | 102 | 32 | 20 Dec 2023 | 3 Jan 00:00 (opened before Q1) | 4 |
| 6 | 101 | — | 15 Feb 00:00 | 15 Feb 01:00 (1 h) | 2 |
| 7 | 100 | 31 | 20 Mar 00:00 | 2 Apr 00:00 (after as_of: open at as_of, 288 h) | 1 |
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from analytics.service import resolution_time, satisfaction
from crm_data.filters import Filters, Scope
from crm_data.queries.service import ticket_outcomes, ticket_resolution_times
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import scenario_fixture

Q1 = Filters(date(2024, 1, 1), date(2024, 4, 1))
ADMIN = Scope.everyone()
TICKETS = [
    (1, 100, 31, datetime(2024, 1, 2, 8), datetime(2024, 1, 2, 20), 5),
    (2, 100, 31, datetime(2024, 1, 10), datetime(2024, 1, 11), 3),
    (3, 101, 31, datetime(2024, 3, 1), None, None),
    (4, 102, 32, datetime(2024, 2, 5), datetime(2024, 2, 5, 6, 30), None),
    (5, 102, 32, datetime(2023, 12, 20), datetime(2024, 1, 3), 4),
    (6, 101, None, datetime(2024, 2, 15), datetime(2024, 2, 15, 1), 2),
    (7, 100, 31, datetime(2024, 3, 20), datetime(2024, 4, 2), 1),
]


def build() -> CrmBuilder:
    crm = CrmBuilder()
    crm.team(1, head_id=10)
    crm.team(2)
    for emp, team, role in [(10, 1, "head"), (11, 1, "rep"), (12, 1, "rep"), (21, 2, "rep"),
                            (31, None, "agent"), (32, None, "agent")]:  # fmt: skip
        crm.employee(emp, team_id=team, role=role)
    for account, owner in [(100, 11), (101, 12), (102, 21)]:
        crm.account(account, owner)
    for ticket, account, assignee, opened, resolved, score in TICKETS:
        crm.row("tickets", id=ticket, account_id=account, assignee_id=assignee,
                category="question", priority="low", opened_at=opened, resolved_at=resolved,
                satisfaction=score)  # fmt: skip
    return crm


crm = scenario_fixture(build)


def test_ticket_outcomes(crm: sa.Engine) -> None:
    got = ticket_outcomes(crm, Q1, ADMIN)
    # resolved in Q1 before as_of: 1, 2 (31); 4, 5 (32); 6 (unassigned); 7 resolved after as_of
    assert got["assignee_id"].tolist()[1:] == [31, 32] and pd.isna(got["assignee_id"].iloc[0])
    assert got["resolved"].tolist() == [1, 2, 2]
    assert got["rated"].tolist() == [1, 2, 1]
    assert got["satisfaction_sum"].tolist() == [2.0, 8.0, 4.0]
    # a head sees the tickets of the team's accounts (100, 101): 1, 2, 6
    head = ticket_outcomes(crm, Q1, Scope.head(1))
    assert head["resolved"].sum() == 3


def test_ticket_resolution_times(crm: sa.Engine) -> None:
    got = ticket_resolution_times(crm, Q1, ADMIN)
    rows = {(None if pd.isna(a) else int(a), h, c): n for a, h, c, n in got.itertuples(index=False)}
    # opened in Q1: 1 (12 h), 2 (24 h), 3 (open: 744 h censored), 7 (open at as_of: 288 h
    # censored) for 31; 4 (6.5 h) for 32; 6 (1 h) unassigned; 5 was opened before Q1
    assert rows == {(None, 1.0, False): 1, (31, 12.0, False): 1, (31, 24.0, False): 1,
                    (31, 288.0, True): 1, (31, 744.0, True): 1, (32, 6.5, False): 1}  # fmt: skip


def test_service_analytics(crm: sa.Engine) -> None:
    scores = satisfaction(ticket_outcomes(crm, Q1, ADMIN)).set_index("assignee_id")
    assert scores.loc[31, "csat"] == 4.0 and scores.loc[32, "csat"] == 4.0
    assert satisfaction(ticket_outcomes(crm, Q1, ADMIN), by=None)["csat"].iloc[0] == 14 / 4
    times = resolution_time(ticket_resolution_times(crm, Q1, ADMIN)).set_index("assignee_id")
    # 31: 12, 24 resolved; 288, 744 censored → S(12) = 3/4, S(24) = 1/2 → median 24 h
    assert times.loc[31, ["tickets", "resolved", "censored"]].tolist() == [4, 2, 2]
    assert times.loc[31, "median_hours"] == 24.0
    assert times.loc[32, "median_hours"] == 6.5
    overall = resolution_time(ticket_resolution_times(crm, Q1, ADMIN), by=None)
    # 1, 6.5, 12, 24 resolved, 288 and 744 censored: S(12) = 1/2 → median 12 h
    assert overall["median_hours"].iloc[0] == 12.0
    empty = Filters(date(2020, 1, 1), date(2020, 2, 1))
    assert resolution_time(ticket_resolution_times(crm, empty, ADMIN), by=None).empty
