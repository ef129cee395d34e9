"""A hand-made, tiny CRM database built with SQLAlchemy Core inserts (for info/CLI/app tests).

Every number and date here is chosen by hand, so the tests can assert exact counts and ranges.
``quotas`` and ``campaign_members`` are deliberately not created (absent tables).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from crm_data.schema import Base, DemoTruth

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
    engine = sa.create_engine(url)
    tables = [
        t
        for t in Base.metadata.sorted_tables
        if t.name not in ABSENT and (demo or t.name != "demo_truth")
    ]
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine, tables=tables)
    t = Base.metadata.tables
    with engine.begin() as conn:
        conn.execute(
            sa.insert(t["teams"]),
            [{"id": 1, "name": "North", "region": "N"}, {"id": 2, "name": "South", "region": "S"}],
        )
        conn.execute(
            sa.insert(t["employees"]),
            [
                {"id": 1, "name": "Ann", "email": "ann@x", "role": "head", "team_id": 1,
                 "hired_at": date(2020, 1, 1)},
                {"id": 2, "name": "Bob", "email": "bob@x", "role": "rep", "team_id": 1,
                 "hired_at": date(2021, 6, 1)},
                {"id": 3, "name": "Cid", "email": "cid@x", "role": "rep", "team_id": 2,
                 "hired_at": date(2022, 3, 15)},
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(t["accounts"]),
            [
                {"id": i, "name": f"Acc {i}", "kind": "company", "owner_id": 2, "created_at": ts}
                for i, ts in enumerate(
                    [
                        datetime(2023, 3, 1, 12, 0),
                        datetime(2023, 1, 5, 10, 0),
                        datetime(2023, 4, 20, 16, 45),
                        datetime(2023, 2, 14, 9, 30),
                    ],
                    start=1,
                )
            ],
        )
        conn.execute(
            sa.insert(t["stages"]),
            [
                {"id": i, "pipeline": "main", "name": n, "position": i, "probability": p,
                 "is_won": i == 2, "is_lost": i == 3}
                for i, n, p in [(1, "Lead", 0.1), (2, "Won", 1.0), (3, "Lost", 0.0)]
            ],
        )  # fmt: skip
        deal_created = [
            datetime(2023, 3, 3, 9, 0),
            datetime(2023, 2, 1, 8, 0),
            datetime(2023, 6, 30, 17, 30),
            datetime(2023, 4, 4, 10, 0),
            datetime(2023, 5, 5, 11, 0),
        ]
        conn.execute(
            sa.insert(t["deals"]),
            [
                {"id": i, "account_id": 1 + i % 4, "owner_id": 2 + i % 2, "title": f"Deal {i}",
                 "product_line": "core", "amount": 1000.0 * i, "currency": "EUR",
                 "created_at": ts, "status": "open", "stage_id": 1}
                for i, ts in enumerate(deal_created, start=1)
            ],
        )  # fmt: skip
        history = [(d, 1, ts) for d, ts in enumerate(deal_created, start=1)] + [
            (2, 2, datetime(2023, 3, 1, 15, 0)),
            (3, 3, datetime(2023, 7, 3, 12, 0)),
        ]
        conn.execute(
            sa.insert(t["deal_stage_history"]),
            [
                {"id": i, "deal_id": d, "stage_id": s, "entered_at": ts, "amount": 100.0}
                for i, (d, s, ts) in enumerate(history, start=1)
            ],
        )
        activities = [
            ("call", "done", datetime(2023, 2, 1, 9, 0), datetime(2023, 2, 2, 9, 0)),
            ("call", "done", None, datetime(2023, 3, 10, 10, 0)),
            ("meeting", "done", datetime(2023, 5, 30, 9, 0), datetime(2023, 6, 1, 13, 0)),
            ("email", "done", None, datetime(2023, 4, 1, 8, 0)),
            ("call", "planned", datetime(2023, 7, 15, 14, 0), None),
            ("call", "cancelled", datetime(2023, 1, 20, 9, 0), None),
        ]
        conn.execute(
            sa.insert(t["activities"]),
            [
                {"id": i, "type": kind, "employee_id": 2, "account_id": 1, "deal_id": 1,
                 "due_at": due, "done_at": done, "status": status}
                for i, (kind, status, due, done) in enumerate(activities, start=1)
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(t["orders"]),
            [
                {"id": 1, "account_id": 1, "ordered_at": datetime(2023, 7, 4, 9, 30),
                 "amount": 500.0},
                {"id": 2, "account_id": 2, "ordered_at": datetime(2023, 5, 2, 11, 0),
                 "amount": 250.0},
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(t["tickets"]),
            [{"id": 1, "account_id": 3, "category": "complaint", "priority": "high",
              "opened_at": datetime(2023, 6, 10, 8, 15)}],
        )  # fmt: skip
        if demo:
            conn.execute(
                sa.insert(DemoTruth.__table__),
                [{"key": "generator", "value": json.dumps({"size": "XS", "seed": 7})}],
            )
    engine.dispose()
