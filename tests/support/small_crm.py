"""A hand-made, tiny CRM database built with SQLAlchemy Core inserts (for info/CLI/app tests).

Every number and date here is chosen by hand, so the tests can assert exact counts and ranges.
``quotas`` and ``campaign_members`` are deliberately not created (absent tables).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from crm_data.schema import Base
from tests.support.crm_builder import CrmBuilder

ABSENT = ("campaign_members", "quotas")

#: table -> (rows, min date, max date) of the hand-made data; None where no date column/rows.
EXPECTED: dict[str, tuple[int, datetime | date | None, datetime | date | None]] = {
    "teams": (2, None, None),
    "employees": (3, date(2020, 1, 1), date(2022, 3, 15)),
    "accounts": (4, datetime(2023, 1, 5, 10, 0), datetime(2023, 4, 20, 16, 45)),
    "contacts": (0, None, None),
    "products": (0, None, None),
    "stages": (3, None, None),
    "lost_reasons": (0, None, None),
    "campaigns": (0, None, None),
    "deals": (5, datetime(2023, 2, 1, 8, 0), datetime(2023, 6, 30, 17, 30)),
    "deal_stage_history": (7, datetime(2023, 2, 1, 8, 0), datetime(2023, 7, 3, 12, 0)),
    # done_at, else due_at: the cancelled call is due before everything, the planned after
    "activities": (6, datetime(2023, 1, 20, 9, 0), datetime(2023, 7, 15, 14, 0)),
    "orders": (2, datetime(2023, 5, 2, 11, 0), datetime(2023, 7, 4, 9, 30)),
    "order_items": (0, None, None),
    "tickets": (1, datetime(2023, 6, 10, 8, 15), datetime(2023, 6, 10, 8, 15)),
}


def build_small_crm(url: str, demo: bool = False) -> None:
    """Create the schema (minus :data:`ABSENT`) at ``url`` and insert the hand-made rows.

    With ``demo=True`` a ``demo_truth`` row with the ``generator`` key marks it as demo data.
    """
    b = CrmBuilder()
    b.team(1, "North", region="N")
    b.team(2, "South", region="S")
    b.employee(1, team_id=1, role="head", hired_at=date(2020, 1, 1))
    b.employee(2, team_id=1, hired_at=date(2021, 6, 1))
    b.employee(3, team_id=2, hired_at=date(2022, 3, 15))
    account_created = [
        datetime(2023, 3, 1, 12, 0),
        datetime(2023, 1, 5, 10, 0),
        datetime(2023, 4, 20, 16, 45),
        datetime(2023, 2, 14, 9, 30),
    ]
    for i, created_at in enumerate(account_created, start=1):
        b.account(i, owner_id=2, created_at=created_at)
    b.stage(1, position=1, name="Lead", probability=0.1)
    b.stage(2, position=2, name="Won", probability=1.0, is_won=True)
    b.stage(3, position=3, name="Lost", is_lost=True)
    deal_created = [
        datetime(2023, 3, 3, 9, 0),
        datetime(2023, 2, 1, 8, 0),
        datetime(2023, 6, 30, 17, 30),
        datetime(2023, 4, 4, 10, 0),
        datetime(2023, 5, 5, 11, 0),
    ]
    later_moves = {2: (2, datetime(2023, 3, 1, 15, 0)), 3: (3, datetime(2023, 7, 3, 12, 0))}
    for i, created_at in enumerate(deal_created, start=1):
        history = [(1, created_at, 100.0)]
        if i in later_moves:
            stage, entered_at = later_moves[i]
            history.append((stage, entered_at, 100.0))
        b.deal(i, owner_id=2 + i % 2, account_id=1 + i % 4, history=history, amount=1000.0 * i)
    activities = [
        ("call", "done", datetime(2023, 2, 1, 9, 0), datetime(2023, 2, 2, 9, 0)),
        ("call", "done", None, datetime(2023, 3, 10, 10, 0)),
        ("meeting", "done", datetime(2023, 5, 30, 9, 0), datetime(2023, 6, 1, 13, 0)),
        ("email", "done", None, datetime(2023, 4, 1, 8, 0)),
        ("call", "planned", datetime(2023, 7, 15, 14, 0), None),
        ("call", "cancelled", datetime(2023, 1, 20, 9, 0), None),
    ]
    for i, (kind, status, due, done) in enumerate(activities, start=1):
        b.activity(
            i, 2, type=kind, status=status, due_at=due, done_at=done, deal_id=1, account_id=1
        )
    b.order(1, account_id=1, ordered_at=datetime(2023, 7, 4, 9, 30), items=[], amount=500.0)
    b.order(2, account_id=2, ordered_at=datetime(2023, 5, 2, 11, 0), items=[], amount=250.0)
    b.ticket(1, account_id=3, opened_at=datetime(2023, 6, 10, 8, 15))
    if demo:
        b.row("demo_truth", key="generator", value=json.dumps({"size": "XS", "seed": 7}))
    engine = sa.create_engine(url)
    Base.metadata.drop_all(engine)
    b.load(engine, absent=ABSENT if demo else (*ABSENT, "demo_truth"))
    engine.dispose()
