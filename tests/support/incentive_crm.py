"""A hand-built CRM for the incentive rules (issue #13 item 5 and the incentive bullets of
"Numbers that read wrong"): joiners and leavers, a jump in activities, service agents and reps
hired after earlier plan periods (:func:`incentive_crm`).

Q4 2026 (1 Oct 2026 – 1 Jan 2027) has 66 working days (October 22, November 21, December 23);
up to 16 Nov, 32 (22 + 10).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from tests.support.crm_builder import CrmBuilder

ALWAYS = date(2020, 1, 1)


def workdays(start: str, end: str) -> list[datetime]:
    """10:00 on each Monday–Friday of ``[start, end)``."""
    days = pd.bdate_range(start, end, inclusive="left")
    return [day.to_pydatetime() + timedelta(hours=10) for day in days]


def incentive_crm() -> CrmBuilder:
    """Team 1 (North): rep 11 employed all along, 12 hired on Mon 2 Nov 2026, 13 who left on
    Fri 16 Oct 2026, 14 whose activities jump in November, 15 hired on Mon 24 Aug 2026 working
    steadily; service agents 21 and 22 (no team) and 23 (team 1).  Team 2 (South): reps 31 and
    32, and 33 hired on 1 Oct 2026.
    """
    b = CrmBuilder()
    b.stage(1, position=1, name="Lead")
    b.stage(2, position=2, name="Won", probability=1.0, is_won=True)
    b.stage(3, position=3, name="Lost", is_lost=True)
    b.team(1, "North", region="North", head_id=10)
    b.team(2, "South", region="South", head_id=30)
    people = [
        (10, "head", 1, ALWAYS, None),
        (11, "rep", 1, ALWAYS, None),
        (12, "rep", 1, date(2026, 11, 2), None),
        (13, "rep", 1, ALWAYS, date(2026, 10, 16)),
        (14, "rep", 1, ALWAYS, None),
        (15, "rep", 1, date(2026, 8, 24), None),
        (21, "service", None, ALWAYS, None),
        (22, "service", None, ALWAYS, None),
        (23, "service", 1, ALWAYS, None),
        (30, "head", 2, ALWAYS, None),
        (31, "rep", 2, ALWAYS, None),
        (32, "rep", 2, ALWAYS, None),
        (33, "rep", 2, date(2026, 10, 1), None),
    ]
    for id_, role, team, hired, left in people:
        b.row("employees", id=id_, name=f"Person {id_}", email=f"p{id_}@example.com",
              role=role, team_id=team, hired_at=hired, left_at=left)  # fmt: skip
    b.account(100, owner_id=11)
    b.account(200, owner_id=31)
    deal_id = 0

    def won(owner: int, created: str, closed: str, amount: float = 1000.0) -> None:
        nonlocal deal_id
        deal_id += 1
        created_at, closed_at = datetime.fromisoformat(created), datetime.fromisoformat(closed)
        account = 200 if owner > 30 else 100
        b.deal(deal_id, owner, account, [(1, created_at, amount), (2, closed_at, amount)],
               status="won", closed_at=closed_at)  # fmt: skip

    # won revenue in Q4 before as_of: 33 000, 22 000 and 11 000
    won(11, "2026-10-05 09:00", "2026-10-20 15:00", 33_000.0)
    won(12, "2026-11-03 09:00", "2026-11-10 15:00", 22_000.0)
    won(13, "2026-10-02 09:00", "2026-10-09 15:00", 11_000.0)
    # the gaming reps' won deals: 14 wins 2 in each of Aug, Sep, Oct and 1 in Nov; 15 wins 1 in
    # (the rest of) Aug, 2 in Sep and Oct and 1 in Nov
    for day in ("08-03", "08-10", "09-07", "09-14", "10-05", "10-12", "11-05"):
        won(14, f"2026-{day} 09:00", f"2026-{day} 16:00")
    for day in ("08-28", "09-08", "09-15", "10-06", "10-13", "11-06"):
        won(15, f"2026-{day} 09:00", f"2026-{day} 16:00")
    # team 2 in Q3 2026: rep 31 wins 2 deals, rep 32 wins 5 (all created in Q3)
    for day in ("07-06", "08-03"):
        won(31, f"2026-{day} 09:00", f"2026-{day} 16:00")
    for day in ("07-06", "07-20", "08-03", "08-17", "09-07"):
        won(32, f"2026-{day} 09:00", f"2026-{day} 16:00")
    # activities (e-mails, one a slot): 2 per working day for 11 (1 Oct – 13 Nov) and 13 (to
    # its leaving), 3 for 12 (2 – 13 Nov); 14: 2 a day Aug – Oct, 5 a day in November; 15: 2 a
    # day from its hiring to the end of November
    plan = [
        (11, "2026-10-01", "2026-11-16", 2),
        (12, "2026-11-02", "2026-11-16", 3),
        (13, "2026-10-01", "2026-10-16", 2),
        (14, "2026-08-01", "2026-11-01", 2),
        (14, "2026-11-01", "2026-12-01", 5),
        (15, "2026-08-24", "2026-12-01", 2),
    ]
    activity_id = 0
    for employee, start, end, per_day in plan:
        for moment in workdays(start, end):
            for slot in range(per_day):
                activity_id += 1
                b.activity(activity_id, employee, type="email", done_at=moment
                           + timedelta(minutes=slot), account_id=100)  # fmt: skip
    # tickets resolved in Q4 before as_of: agent 21 rated 5 and 4, agent 22 rated 3 (and one
    # unrated), agent 23 rated 4 (on an account of team 1)
    tickets = [(21, 5), (21, 4), (22, 3), (22, None), (23, 4)]
    for id_, (agent, rating) in enumerate(tickets, start=1):
        opened = datetime(2026, 10, 5 + id_, 9, 0)
        b.row("tickets", id=id_, account_id=100, assignee_id=agent, category="question",
              priority="low", opened_at=opened, first_response_at=opened + timedelta(hours=1),
              resolved_at=opened + timedelta(hours=5), satisfaction=rating)  # fmt: skip
    return b
