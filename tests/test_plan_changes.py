"""What a plan version changed (``reports.plan_changes``), field by field, by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from appdb.plans import StoredItem, StoredPlan
from reports.plan_changes import CHANGE_COLUMNS, plan_changes

REVENUE = StoredItem("won_revenue", 0.5, target=400_000.0, threshold=0.5, cap=1.5,
                     rep_targets=((3, 300_000.0), (4, 500_000.0)))  # fmt: skip
DEALS = StoredItem("won_deals", 0.3, target=20.0, cap=1.2)
STUCK = StoredItem("stuck_deals", 0.2, target=3.0, cap=1.5)
V1 = StoredPlan("north-q2", 1, "North Q2", date(2026, 4, 1), date(2026, 7, 1), 1, 4000.0,
                datetime(2026, 4, 1, 9), 10, (REVENUE, DEALS, STUCK))  # fmt: skip


def test_no_change_gives_no_row() -> None:
    changes = plan_changes(V1, replace(V1, version=2, created_at=datetime(2026, 4, 2)))
    assert changes.empty and list(changes.columns) == CHANGE_COLUMNS


def test_every_kind_of_change() -> None:
    follow_ups = StoredItem("followup_compliance", 0.2, target=0.9, cap=1.2)
    revenue = replace(REVENUE, weight=0.6, target=450_000.0, cap=None, accelerator=1.5,
                      rep_targets=((3, 320_000.0), (4, 500_000.0), (5, 100_000.0)))  # fmt: skip
    v2 = replace(V1, version=2, name="North Q2 (revised)", period_end=date(2026, 6, 1),
                 team_id=None, on_target_bonus=5000.0,
                 items=(revenue, follow_ups, DEALS))  # fmt: skip
    rows = plan_changes(V1, v2).values.tolist()
    assert rows == [
        ["Plan", "Name", "text", "North Q2", "North Q2 (revised)"],
        ["Plan", "Period", "text", "2026-04-01 – 2026-06-30", "2026-04-01 – 2026-05-31"],
        ["Plan", "Team", "team", 1, None],
        ["Plan", "On-target bonus", "money", 4000.0, 5000.0],
        ["Won revenue", "Weight", "ratio", 0.5, 0.6],
        ["Won revenue", "Target", "money", 400_000.0, 450_000.0],
        ["Won revenue", "Cap", "ratio", 1.5, None],
        ["Won revenue", "Accelerator", "decimal", None, 1.5],
        ["Won revenue", "Per-rep targets", "text", "2 reps", "3 reps, 1 changed"],
        ["Follow-up compliance", "Item", "text", None, "added"],
        ["Stuck deals", "Item", "text", "in the plan", "removed"],
    ]
