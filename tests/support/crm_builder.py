"""Hand-made CRM data for query tests: explicit ids, plain SQLAlchemy Core inserts.

Usage::

    b = CrmBuilder()
    b.team(1, region="North")
    b.employee(11, team_id=1)
    b.account(100, owner_id=11)
    b.stage(1, position=1)
    b.deal(1, owner_id=11, account_id=100, history=[(1, dt(2024, 1, 5), 1000.0)])
    b.load(engine)

Every method fills the columns a test does not care about with harmless defaults.  A deal's
``stage_id`` is the stage of its last history row and its ``amount`` the amount of that row
unless given.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from crm_data.schema import Base

HistoryRow = tuple[int, datetime, float]

_EPOCH = datetime(2020, 1, 1)


class CrmBuilder:
    """Collects rows per table and inserts them in dependency order."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._history_id = 0

    def row(self, table: str, **values: Any) -> None:
        """A row of any table, for tables without a helper below (e.g. ``demo_truth``)."""
        self.rows[table].append(values)

    def team(
        self,
        id: int,
        name: str | None = None,
        region: str | None = None,
        head_id: int | None = None,
    ) -> None:
        self.row("teams", id=id, name=name or f"Team {id}", region=region, head_id=head_id)

    def employee(
        self,
        id: int,
        team_id: int | None = None,
        role: str = "rep",
        name: str | None = None,
        hired_at: date = date(2020, 1, 1),
    ) -> None:
        self.row(
            "employees",
            id=id,
            name=name or f"Employee {id}",
            email=f"e{id}@example.com",
            role=role,
            team_id=team_id,
            hired_at=hired_at,
            left_at=None,
        )

    def account(
        self,
        id: int,
        owner_id: int | None,
        region: str | None = "North",
        size_band: str | None = "small",
        kind: str = "company",
        created_at: datetime = _EPOCH,
    ) -> None:
        self.row(
            "accounts",
            id=id,
            name=f"Account {id}",
            kind=kind,
            industry=None,
            region=region,
            city=None,
            size_band=size_band,
            source=None,
            owner_id=owner_id,
            created_at=created_at,
            gender=None,
            birth_year=None,
            income_band=None,
        )

    def stage(
        self,
        id: int,
        position: int,
        name: str | None = None,
        pipeline: str = "sales",
        probability: float = 0.0,
        is_won: bool = False,
        is_lost: bool = False,
        rot_days: int | None = None,
    ) -> None:
        self.row(
            "stages",
            id=id,
            pipeline=pipeline,
            name=name or f"Stage {id}",
            position=position,
            probability=probability,
            is_won=is_won,
            is_lost=is_lost,
            rot_days=rot_days,
        )

    def lost_reason(self, id: int, name: str) -> None:
        self.row("lost_reasons", id=id, name=name)

    def product(self, id: int, product_line: str, is_new_line: bool = False) -> None:
        self.row(
            "products",
            id=id,
            name=f"Product {id}",
            product_line=product_line,
            price=1.0,
            is_new_line=is_new_line,
            launched_at=None,
        )

    def deal(
        self,
        id: int,
        owner_id: int,
        account_id: int,
        history: list[HistoryRow],
        created_at: datetime | None = None,
        status: str = "open",
        closed_at: datetime | None = None,
        amount: float | None = None,
        product_line: str = "core",
        lost_reason_id: int | None = None,
        expected_close_at: date | None = None,
        currency: str | None = "EUR",
    ) -> None:
        """A deal and its stage history ``[(stage_id, entered_at, amount), ...]`` in order."""
        self.row(
            "deals",
            id=id,
            account_id=account_id,
            owner_id=owner_id,
            title=f"Deal {id}",
            product_line=product_line,
            amount=history[-1][2] if amount is None else amount,
            currency=currency,
            source=None,
            campaign_id=None,
            created_at=created_at or history[0][1],
            expected_close_at=expected_close_at,
            closed_at=closed_at,
            status=status,
            stage_id=history[-1][0],
            lost_reason_id=lost_reason_id,
        )
        for stage_id, entered_at, row_amount in history:
            self._history_id += 1
            self.row(
                "deal_stage_history",
                id=self._history_id,
                deal_id=id,
                stage_id=stage_id,
                entered_at=entered_at,
                amount=row_amount,
                changed_by=owner_id,
            )

    def activity(
        self,
        id: int,
        employee_id: int | None,
        type: str = "call",
        status: str = "done",
        done_at: datetime | None = None,
        due_at: datetime | None = None,
        deal_id: int | None = None,
        account_id: int | None = None,
        duration_min: float | None = None,
    ) -> None:
        self.row(
            "activities",
            id=id,
            type=type,
            direction=None,
            employee_id=employee_id,
            account_id=account_id,
            contact_id=None,
            deal_id=deal_id,
            due_at=due_at,
            done_at=done_at,
            duration_min=duration_min,
            outcome=None,
            status=status,
        )

    def order(
        self,
        id: int,
        account_id: int,
        ordered_at: datetime,
        items: list[tuple[int, int, float]],
        deal_id: int | None = None,
        amount: float | None = None,
    ) -> None:
        """An order with items ``[(product_id, quantity, unit_price), ...]``.

        ``amount`` defaults to the sum of the items.
        """
        if amount is None:
            amount = sum(q * p for _, q, p in items)
        self.row(
            "orders",
            id=id,
            account_id=account_id,
            deal_id=deal_id,
            ordered_at=ordered_at,
            amount=amount,
            channel=None,
            payment_method=None,
        )
        for product_id, quantity, unit_price in items:
            self.row(
                "order_items",
                id=len(self.rows["order_items"]) + 1,
                order_id=id,
                product_id=product_id,
                quantity=quantity,
                unit_price=unit_price,
            )

    def ticket(
        self, id: int, account_id: int, opened_at: datetime, category: str = "complaint"
    ) -> None:
        self.row(
            "tickets",
            id=id,
            account_id=account_id,
            category=category,
            priority="high",
            opened_at=opened_at,
        )

    def load(self, engine: sa.Engine, absent: tuple[str, ...] = ()) -> sa.Engine:
        """Create the schema (without the ``absent`` tables) and insert every collected row."""
        tables = [t for t in Base.metadata.sorted_tables if t.name not in absent]
        Base.metadata.create_all(engine, tables=tables)
        with engine.begin() as conn:
            for table in tables:
                rows = self.rows.get(table.name)
                if rows:
                    conn.execute(table.insert(), rows)
        return engine
