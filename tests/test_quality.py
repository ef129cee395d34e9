"""Data-quality checks on hand-built databases with a known number of planted problems.

Orphans cannot be inserted where the schema declares foreign keys (DuckDB, PostgreSQL and
MariaDB enforce them), so the problem database is created from a copy of the CRM schema
without foreign keys - like a CRM imported from elsewhere - on every dialect.  The clean
database uses the real schema.  ``now`` is 2024-06-01.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.quality import QualityCheck, run_quality_checks
from crm_data.schema import Base
from tests.support.crm_builder import CrmBuilder
from tests.support.frames import check, frame

dt = datetime
NOW = dt(2024, 6, 1)
LEAD, WON, LOST = 1, 2, 3
KEYS = [
    "deals_without_history",
    "activities_without_owner",
    "lost_without_reason",
    "future_dates",
    "orphans",
    "closed_without_date",
    "closed_before_created",
    "status_stage_mismatch",
]


def clean_crm() -> CrmBuilder:
    """A small consistent CRM: future due dates and expected closes are allowed."""
    b = CrmBuilder()
    b.team(1, region="North", head_id=11)
    b.employee(11, team_id=1, role="head")
    b.employee(12, team_id=1)
    b.account(100, owner_id=11)
    b.account(101, owner_id=12)
    b.stage(LEAD, 1, "Lead")
    b.stage(WON, 2, "Won", is_won=True)
    b.stage(LOST, 3, "Lost", is_lost=True)
    b.lost_reason(1, "Price")
    b.product(1, "core")
    b.deal(1, 11, 100, status="won", closed_at=dt(2024, 2, 1), history=[
        (LEAD, dt(2024, 1, 1), 100.0), (WON, dt(2024, 2, 1), 100.0)])  # fmt: skip
    b.deal(2, 11, 100, status="lost", closed_at=dt(2024, 3, 1), lost_reason_id=1, history=[
        (LEAD, dt(2024, 1, 10), 200.0), (LOST, dt(2024, 3, 1), 200.0)])  # fmt: skip
    b.deal(3, 12, 101, expected_close_at=date(2024, 9, 1),
           history=[(LEAD, dt(2024, 2, 1), 300.0)])  # fmt: skip
    b.activity(1, 11, done_at=dt(2024, 3, 1), deal_id=1, account_id=100)
    b.activity(2, 12, status="planned", due_at=dt(2024, 7, 1), deal_id=3, account_id=101)
    b.order(1, 100, dt(2024, 3, 1), [(1, 1, 10.0)])
    b.order(3, 100, NOW, [(1, 1, 10.0)])  # exactly at `now`: not in the future
    b.ticket(1, 100, dt(2024, 4, 1))
    b.row("contacts", id=1, account_id=100, name="C 1", created_at=dt(2024, 1, 1))
    return b


def raw_deal(b: CrmBuilder, id: int, created_at: datetime, status: str, stage_id: int,
             closed_at: datetime | None = None, lost_reason_id: int | None = None,
             account_id: int = 100, owner_id: int = 11) -> None:  # fmt: skip
    """A deal row without stage history."""
    b.row("deals", id=id, account_id=account_id, owner_id=owner_id, title=f"Deal {id}",
          product_line="core", amount=1.0, currency="EUR", source=None, campaign_id=None,
          created_at=created_at, expected_close_at=None, closed_at=closed_at, status=status,
          stage_id=stage_id, lost_reason_id=lost_reason_id)  # fmt: skip


def problem_crm() -> CrmBuilder:
    """The clean CRM plus planted problems (comments: which checks each one triggers).

    History row ids count up over the ``b.deal`` calls: D1 1-2, D2 3-4, D3 5, D12 6, D13 7,
    D14 8, D15 9, D16 10-11, ...
    """
    b = clean_crm()
    feb, mar = dt(2024, 2, 1), dt(2024, 3, 1)
    # deals_without_history: D10 (open) and D11 (lost, also lost_without_reason)
    raw_deal(b, 10, dt(2024, 1, 15), "open", LEAD)
    raw_deal(b, 11, feb, "lost", LOST, closed_at=dt(2024, 3, 5))
    # activities_without_owner: A10
    b.activity(10, None, done_at=dt(2024, 3, 2), account_id=100)
    # future_dates (5): D12 created and its history row on Jul 1, A11 done Jun 15,
    # O2 ordered Dec 24, T2 opened Jun 2
    b.deal(12, 11, 100, history=[(LEAD, dt(2024, 7, 1), 1.0)])
    b.activity(11, 11, done_at=dt(2024, 6, 15), account_id=100)
    b.order(2, 101, dt(2024, 12, 24), [(1, 1, 5.0)])
    b.ticket(2, 101, dt(2024, 6, 2))
    # orphans (12): one per reference
    b.deal(13, 11, 999, history=[(LEAD, feb, 1.0)])  # deals.account_id
    b.deal(14, 998, 100, history=[(LEAD, feb, 1.0)])  # deals.owner_id
    b.deal(15, 11, 100, history=[(989, feb, 1.0)])  # deals.stage_id, history.stage_id
    b.row("deal_stage_history", id=900, deal_id=997, stage_id=LEAD, entered_at=feb, amount=1.0,
          changed_by=None)  # fmt: skip
    b.activity(12, 11, done_at=mar, deal_id=996, account_id=100)  # activities.deal_id
    b.activity(13, 11, done_at=mar, account_id=995)  # activities.account_id
    b.order(4, 994, mar, [])  # orders.account_id
    b.row("order_items", id=90, order_id=993, product_id=1, quantity=1, unit_price=1.0)
    b.row("order_items", id=91, order_id=1, product_id=992, quantity=1, unit_price=1.0)
    b.ticket(3, 991, mar)  # tickets.account_id
    b.row("contacts", id=2, account_id=990, name="C 2", created_at=feb)  # contacts.account_id
    # closed_without_date (2): D16 won without closed_at, D17 open with closed_at
    b.deal(16, 11, 100, status="won", history=[(LEAD, feb, 1.0), (WON, mar, 1.0)])
    b.deal(17, 11, 100, closed_at=mar, history=[(LEAD, feb, 1.0)])
    # closed_before_created: D18
    b.deal(18, 11, 100, status="lost", closed_at=mar, lost_reason_id=1, history=[
        (LEAD, dt(2024, 3, 10), 1.0), (LOST, dt(2024, 3, 10), 1.0)])  # fmt: skip
    # status_stage_mismatch (3): D19 won in Lead, D20 open in Won, D21 lost in Won
    b.deal(19, 11, 100, status="won", closed_at=mar, history=[(LEAD, feb, 1.0)])
    b.deal(20, 11, 100, history=[(WON, feb, 1.0)])
    b.deal(21, 11, 100, status="lost", closed_at=mar, lost_reason_id=1,
           history=[(WON, feb, 1.0)])  # fmt: skip
    return b


def load_without_foreign_keys(
    b: CrmBuilder, engine: sa.Engine, absent: tuple[str, ...] = ()
) -> sa.Engine:
    """Create the CRM tables (minus ``absent``) without foreign keys and insert ``b``'s rows."""
    metadata = sa.MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name in absent:
            continue
        columns = [
            sa.Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False)
            for c in table.columns
        ]
        sa.Table(table.name, metadata, *columns)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if b.rows.get(table.name):
                conn.execute(table.insert(), b.rows[table.name])
    return engine


def by_key(checks: list[QualityCheck]) -> dict[str, QualityCheck]:
    assert [c.key for c in checks] == KEYS
    return {c.key: c for c in checks}


def test_planted_problems_are_counted(empty_engine: sa.Engine) -> None:
    engine = load_without_foreign_keys(problem_crm(), empty_engine)
    checks = by_key(run_quality_checks(engine, NOW))
    counts = {key: c.count for key, c in checks.items()}
    assert counts == {
        "deals_without_history": 2,  # D10, D11
        "activities_without_owner": 1,  # A10
        "lost_without_reason": 1,  # D11
        "future_dates": 5,  # D12 created_at, its history row, A11, O2, T2
        "orphans": 12,  # one per reference
        "closed_without_date": 2,  # D16, D17
        "closed_before_created": 1,  # D18
        "status_stage_mismatch": 3,  # D19, D20, D21
    }
    assert {c.status for c in checks.values()} == {"warning"}

    # examples follow the order of the parts (tables/columns), then id
    future = frame([
        ("deals", 12, "created_at", dt(2024, 7, 1)),
        ("deal_stage_history", 6, "entered_at", dt(2024, 7, 1)),  # D12's row
        ("activities", 11, "done_at", dt(2024, 6, 15)),
        ("orders", 2, "ordered_at", dt(2024, 12, 24)),
        ("tickets", 2, "opened_at", dt(2024, 6, 2)),
    ], "table id column value", {"table": "str", "column": "str", "value": "datetime"})  # fmt: skip
    check(checks["future_dates"].examples, future)
    assert checks["future_dates"].table == (
        "deals, deal_stage_history, activities, orders, tickets"
    )
    mismatch = frame([(19, "won", LEAD, "Lead"), (20, "open", WON, "Won"),
                      (21, "lost", WON, "Won")], "id status stage_id stage",
                     {"status": "str", "stage": "str"})  # fmt: skip
    check(checks["status_stage_mismatch"].examples, mismatch)
    no_date = checks["closed_without_date"].examples
    assert no_date["id"].tolist() == [16, 17]
    assert no_date["closed_at"].isna().tolist() == [True, False]
    assert checks["deals_without_history"].examples["id"].tolist() == [10, 11]
    assert checks["activities_without_owner"].examples["id"].tolist() == [10]


def test_orphans_examples_and_limit(empty_engine: sa.Engine) -> None:
    engine = load_without_foreign_keys(problem_crm(), empty_engine)
    orphans = by_key(run_quality_checks(engine, NOW, examples=20))["orphans"]
    expected = frame([
        ("deals", 13, "account_id", 999),
        ("deals", 14, "owner_id", 998),
        ("deals", 15, "stage_id", 989),
        ("deal_stage_history", 900, "deal_id", 997),
        ("deal_stage_history", 9, "stage_id", 989),  # D15's row
        ("activities", 12, "deal_id", 996),
        ("activities", 13, "account_id", 995),
        ("orders", 4, "account_id", 994),
        ("order_items", 90, "order_id", 993),
        ("order_items", 91, "product_id", 992),
        ("tickets", 3, "account_id", 991),
        ("contacts", 2, "account_id", 990),
    ], "table id column missing_id", {"table": "str", "column": "str"})  # fmt: skip
    check(orphans.examples, expected)
    # the count is not capped by the number of examples
    capped = by_key(run_quality_checks(engine, NOW, examples=2))["orphans"]
    assert capped.count == 12
    check(capped.examples, expected.iloc[:2])


def test_missing_tables(empty_engine: sa.Engine) -> None:
    # without tickets: the ticket parts of future_dates and orphans are skipped;
    # without activities: activities_without_owner cannot run at all
    absent = ("tickets", "activities")
    engine = load_without_foreign_keys(problem_crm(), empty_engine, absent=absent)
    checks = by_key(run_quality_checks(engine, NOW))
    missing = checks["activities_without_owner"]
    assert missing.count is None and missing.status == "missing"
    check(missing.examples, frame([], "id type status due_at done_at",
                                  {"type": "str", "status": "str", "due_at": "datetime",
                                   "done_at": "datetime"}))  # fmt: skip
    # 5 - A11 - T2 = 3; 12 - two activity references - one ticket reference = 9
    assert checks["future_dates"].count == 3
    assert checks["orphans"].count == 9
    assert checks["deals_without_history"].count == 2


def test_clean_database_has_no_problems(empty_engine: sa.Engine) -> None:
    engine = clean_crm().load(empty_engine)
    checks = by_key(run_quality_checks(engine, NOW))
    for c in checks.values():
        assert (c.key, c.count, c.status) == (c.key, 0, "ok")
        assert c.examples.empty
    assert list(checks["orphans"].examples.columns) == ["table", "id", "column", "missing_id"]
    assert checks["orphans"].examples["missing_id"].dtype == "int64"
    # the same data an hour before the order placed exactly at `now`: now it is in the future
    early = by_key(run_quality_checks(engine, dt(2024, 5, 31, 23)))["future_dates"]
    assert (early.count, early.examples["id"].tolist()) == (1, [3])


def test_no_crm_tables(empty_engine: sa.Engine) -> None:
    checks = run_quality_checks(empty_engine, NOW)
    assert [c.status for c in checks] == ["missing"] * len(KEYS)
    assert all(isinstance(c.examples, pd.DataFrame) and c.examples.empty for c in checks)


@pytest.mark.parametrize("count, status", [(None, "missing"), (0, "ok"), (3, "warning")])
def test_status(count: int | None, status: str) -> None:
    result = QualityCheck("k", "t", "deals", "d", "f", count, pd.DataFrame())
    assert result.status == status
