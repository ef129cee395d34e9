"""SQLAlchemy 2.x models of the canonical CRM schema (DESIGN.md §3).

Conventions
-----------
* Integer primary keys carry an explicit ``Sequence`` so DuckDB gets a sequence instead of the
  ``SERIAL`` type it rejects; MySQL ignores the sequence and uses ``AUTO_INCREMENT``.
* Timestamps are naive ``DateTime`` values in UTC.
* Money is ``Double`` (8-byte float) in the account currency; ``Float`` would be a 4-byte ``REAL``
  on DuckDB.
* Secondary indexes (every foreign key and the timestamps used for filtering) are created on
  SQLite, PostgreSQL and MySQL/MariaDB.  On DuckDB they are skipped: DuckDB prunes scans with
  min-max zone maps, its ART indexes only help point look-ups, and they make bulk loads slower
  and memory-hungry.  Foreign keys are declared everywhere (DuckDB enforces them on insert).
* ``teams.head_id`` is not a declared foreign key: ``teams`` and ``employees`` reference each
  other and DuckDB cannot add a constraint after ``CREATE TABLE``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.sql.ddl import BaseDDLElement
from sqlalchemy.sql.schema import SchemaItem

__all__ = [
    "Base",
    "CRM_TABLES",
    "Team",
    "Employee",
    "Account",
    "Contact",
    "Product",
    "Stage",
    "LostReason",
    "Campaign",
    "CampaignMember",
    "Deal",
    "DealStageHistory",
    "Activity",
    "Order",
    "OrderItem",
    "Ticket",
    "Quota",
    "DemoTruth",
    "ImportKey",
    "PendingHistory",
]


def _not_duckdb(
    ddl: BaseDDLElement,
    target: SchemaItem | str,
    bind: sa.Connection | None,
    tables: list[sa.Table] | None = None,
    state: Any | None = None,
    *,
    dialect: Dialect,
    compiler: DDLCompiler | None = None,
    checkfirst: bool = False,
    **kw: Any,
) -> bool:
    """``ddl_if`` predicate (SQLAlchemy's ``DDLIfCallable``): true unless the DDL is emitted
    for DuckDB.
    """
    return dialect.name != "duckdb"


def idx(table: str, *columns: str) -> sa.Index:
    """A secondary index ``ix_<table>_<cols>`` that is skipped on DuckDB (see module docstring)."""
    index = sa.Index(f"ix_{table}_{'_'.join(columns)}", *columns)
    index.ddl_if(callable_=_not_duckdb)
    return index


def pk(table: str) -> Mapped[int]:
    """Integer primary key backed by the sequence ``<table>_id_seq``."""
    return mapped_column(sa.Integer, sa.Sequence(f"{table}_id_seq"), primary_key=True)


def fk(target: str, nullable: bool = True) -> Mapped[Any]:
    """Integer foreign-key column to ``target`` (``"table.id"``)."""
    return mapped_column(sa.Integer, sa.ForeignKey(target), nullable=nullable)


class Base(DeclarativeBase):
    """Declarative base of the CRM tables and ``demo_truth``."""


class Team(Base):
    """A sales (or service) team; ``head_id`` is the employee who leads it."""

    __tablename__ = "teams"
    id: Mapped[int] = pk("teams")
    name: Mapped[str] = mapped_column(sa.String(100))
    region: Mapped[str | None] = mapped_column(sa.String(50))
    head_id: Mapped[int | None] = mapped_column(sa.Integer)


class Employee(Base):
    """A person working for the company: rep, head, exec, analyst or service agent."""

    __tablename__ = "employees"
    __table_args__ = (idx("employees", "team_id"),)
    id: Mapped[int] = pk("employees")
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    team_id: Mapped[int | None] = fk("teams.id")
    hired_at: Mapped[date] = mapped_column(sa.Date)
    left_at: Mapped[date | None] = mapped_column(sa.Date)


class Account(Base):
    """A customer or prospect: a company or a person."""

    __tablename__ = "accounts"
    __table_args__ = (
        idx("accounts", "owner_id"),
        idx("accounts", "region"),
        idx("accounts", "created_at"),
    )
    id: Mapped[int] = pk("accounts")
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(10))
    industry: Mapped[str | None] = mapped_column(sa.String(50))
    region: Mapped[str | None] = mapped_column(sa.String(50))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    size_band: Mapped[str | None] = mapped_column(sa.String(20))
    source: Mapped[str | None] = mapped_column(sa.String(50))
    owner_id: Mapped[int | None] = fk("employees.id")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    gender: Mapped[str | None] = mapped_column(sa.String(10))
    birth_year: Mapped[int | None] = mapped_column(sa.Integer)
    income_band: Mapped[str | None] = mapped_column(sa.String(20))


class Contact(Base):
    """A person at an account."""

    __tablename__ = "contacts"
    __table_args__ = (idx("contacts", "account_id"),)
    id: Mapped[int] = pk("contacts")
    account_id: Mapped[int] = fk("accounts.id", nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    position: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)


class Product(Base):
    """A product; ``is_new_line`` marks a "new direction" the company pushes."""

    __tablename__ = "products"
    id: Mapped[int] = pk("products")
    name: Mapped[str] = mapped_column(sa.String(200))
    product_line: Mapped[str] = mapped_column(sa.String(50))
    price: Mapped[float] = mapped_column(sa.Double)
    is_new_line: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    launched_at: Mapped[date | None] = mapped_column(sa.Date)


class Stage(Base):
    """A pipeline stage; ``position`` orders stages, won and lost are terminal."""

    __tablename__ = "stages"
    id: Mapped[int] = pk("stages")
    pipeline: Mapped[str] = mapped_column(sa.String(50))
    name: Mapped[str] = mapped_column(sa.String(50))
    position: Mapped[int] = mapped_column(sa.Integer)
    probability: Mapped[float] = mapped_column(sa.Double)
    is_won: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_lost: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    rot_days: Mapped[int | None] = mapped_column(sa.Integer)


class LostReason(Base):
    """Why a deal was lost."""

    __tablename__ = "lost_reasons"
    id: Mapped[int] = pk("lost_reasons")
    name: Mapped[str] = mapped_column(sa.String(100))


class Campaign(Base):
    """A marketing campaign."""

    __tablename__ = "campaigns"
    id: Mapped[int] = pk("campaigns")
    name: Mapped[str] = mapped_column(sa.String(200))
    channel: Mapped[str] = mapped_column(sa.String(50))
    started_at: Mapped[datetime] = mapped_column(sa.DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    budget: Mapped[float] = mapped_column(sa.Double)
    segment: Mapped[str | None] = mapped_column(sa.String(50))


class CampaignMember(Base):
    """An account targeted by a campaign and its response."""

    __tablename__ = "campaign_members"
    __table_args__ = (
        idx("campaign_members", "campaign_id"),
        idx("campaign_members", "account_id"),
    )
    id: Mapped[int] = pk("campaign_members")
    campaign_id: Mapped[int] = fk("campaigns.id", nullable=False)
    account_id: Mapped[int] = fk("accounts.id", nullable=False)
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime)
    responded_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    response: Mapped[str | None] = mapped_column(sa.String(30))


class Deal(Base):
    """An opportunity; ``stage_id`` is its current stage, ``status`` open/won/lost."""

    __tablename__ = "deals"
    __table_args__ = (
        idx("deals", "account_id"),
        idx("deals", "owner_id"),
        idx("deals", "stage_id"),
        idx("deals", "campaign_id"),
        idx("deals", "lost_reason_id"),
        idx("deals", "created_at"),
        idx("deals", "closed_at"),
    )
    id: Mapped[int] = pk("deals")
    account_id: Mapped[int] = fk("accounts.id", nullable=False)
    owner_id: Mapped[int] = fk("employees.id", nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200))
    product_line: Mapped[str] = mapped_column(sa.String(50))
    amount: Mapped[float] = mapped_column(sa.Double)
    currency: Mapped[str] = mapped_column(sa.String(3))
    source: Mapped[str | None] = mapped_column(sa.String(50))
    campaign_id: Mapped[int | None] = fk("campaigns.id")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    expected_close_at: Mapped[date | None] = mapped_column(sa.Date)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    status: Mapped[str] = mapped_column(sa.String(10))
    stage_id: Mapped[int] = fk("stages.id", nullable=False)
    lost_reason_id: Mapped[int | None] = fk("lost_reasons.id")


class DealStageHistory(Base):
    """One row per stage change of a deal, in time order (the first row is the creation)."""

    __tablename__ = "deal_stage_history"
    __table_args__ = (
        idx("deal_stage_history", "deal_id", "entered_at"),
        idx("deal_stage_history", "stage_id"),
        idx("deal_stage_history", "entered_at"),
    )
    id: Mapped[int] = pk("deal_stage_history")
    deal_id: Mapped[int] = fk("deals.id", nullable=False)
    stage_id: Mapped[int] = fk("stages.id", nullable=False)
    entered_at: Mapped[datetime] = mapped_column(sa.DateTime)
    amount: Mapped[float] = mapped_column(sa.Double)
    changed_by: Mapped[int | None] = fk("employees.id")


class Activity(Base):
    """A call, meeting, email or task; planned (``due_at``), done (``done_at``) or cancelled."""

    __tablename__ = "activities"
    __table_args__ = (
        idx("activities", "employee_id"),
        idx("activities", "account_id"),
        idx("activities", "contact_id"),
        idx("activities", "deal_id"),
        idx("activities", "due_at"),
        idx("activities", "done_at"),
    )
    id: Mapped[int] = pk("activities")
    type: Mapped[str] = mapped_column(sa.String(10))
    direction: Mapped[str | None] = mapped_column(sa.String(10))
    employee_id: Mapped[int | None] = fk("employees.id")
    account_id: Mapped[int | None] = fk("accounts.id")
    contact_id: Mapped[int | None] = fk("contacts.id")
    deal_id: Mapped[int | None] = fk("deals.id")
    due_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    duration_min: Mapped[float | None] = mapped_column(sa.Double)
    outcome: Mapped[str | None] = mapped_column(sa.String(30))
    status: Mapped[str] = mapped_column(sa.String(10))


class Order(Base):
    """A customer order; ``amount`` is the sum of its items."""

    __tablename__ = "orders"
    __table_args__ = (
        idx("orders", "account_id"),
        idx("orders", "deal_id"),
        idx("orders", "ordered_at"),
    )
    id: Mapped[int] = pk("orders")
    account_id: Mapped[int] = fk("accounts.id", nullable=False)
    deal_id: Mapped[int | None] = fk("deals.id")
    ordered_at: Mapped[datetime] = mapped_column(sa.DateTime)
    amount: Mapped[float] = mapped_column(sa.Double)
    channel: Mapped[str | None] = mapped_column(sa.String(30))
    payment_method: Mapped[str | None] = mapped_column(sa.String(30))


class OrderItem(Base):
    """One product line of an order."""

    __tablename__ = "order_items"
    __table_args__ = (idx("order_items", "order_id"), idx("order_items", "product_id"))
    id: Mapped[int] = pk("order_items")
    order_id: Mapped[int] = fk("orders.id", nullable=False)
    product_id: Mapped[int] = fk("products.id", nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer)
    unit_price: Mapped[float] = mapped_column(sa.Double)


class Ticket(Base):
    """A service ticket (complaint, question, repair, ...)."""

    __tablename__ = "tickets"
    __table_args__ = (
        idx("tickets", "account_id"),
        idx("tickets", "assignee_id"),
        idx("tickets", "opened_at"),
    )
    id: Mapped[int] = pk("tickets")
    account_id: Mapped[int] = fk("accounts.id", nullable=False)
    assignee_id: Mapped[int | None] = fk("employees.id")
    category: Mapped[str] = mapped_column(sa.String(30))
    priority: Mapped[str] = mapped_column(sa.String(10))
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    satisfaction: Mapped[int | None] = mapped_column(sa.Integer)


class Quota(Base):
    """A rep's revenue target for ``[period_start, period_end)``."""

    __tablename__ = "quotas"
    __table_args__ = (idx("quotas", "employee_id", "period_start"),)
    id: Mapped[int] = pk("quotas")
    employee_id: Mapped[int] = fk("employees.id", nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    revenue_target: Mapped[float] = mapped_column(sa.Double)


class DemoTruth(Base):
    """Planted truths of the demo generator, one JSON document per key.

    The presence of the ``generator`` key marks a database as demo data.
    """

    __tablename__ = "demo_truth"
    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class ImportKey(Base):
    """The row an imported record became: one row per (source system, table, external id).

    ``python -m crm_data import`` (:mod:`crm_data.importer`) keeps it so that importing the
    same or an overlapping export again updates rows instead of adding them; ``row_id`` is the
    ``id`` of the row in ``table_name``.  Not in :data:`CRM_TABLES`: the importer creates it
    when it first runs.
    """

    __tablename__ = "import_keys"
    source: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    # compared case- and accent-sensitively on MySQL too (its default collation is not)
    external_id: Mapped[str] = mapped_column(
        sa.String(200).with_variant(
            mysql.VARCHAR(200, collation="utf8mb4_bin"), "mysql", "mariadb"
        ),
        primary_key=True,
    )
    row_id: Mapped[int] = mapped_column(sa.Integer)


class PendingHistory(Base):
    """Stage-history rows an import on DuckDB has moved aside, until its transaction commits.

    DuckDB cannot change a foreign-key column of a deal that history rows reference, so
    :mod:`crm_data.importer.write` moves those rows here (and out of ``deal_stage_history``)
    in a transaction of its own; the import's transaction puts back what it keeps and empties
    this table.  Rows left here mean an import stopped between the two: the next import puts
    them back first (:func:`crm_data.importer.write.recover_pending`).  No foreign keys: it must
    not hold the deals.
    """

    __tablename__ = "import_pending_history"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    deal_id: Mapped[int] = mapped_column(sa.Integer)
    stage_id: Mapped[int] = mapped_column(sa.Integer)
    entered_at: Mapped[datetime] = mapped_column(sa.DateTime)
    amount: Mapped[float] = mapped_column(sa.Double)
    changed_by: Mapped[int | None] = mapped_column(sa.Integer)


#: CRM tables in dependency (load) order.
CRM_TABLES: tuple[sa.Table, ...] = tuple(
    m.__table__  # type: ignore[misc]
    for m in (
        Team,
        Employee,
        Account,
        Contact,
        Product,
        Stage,
        LostReason,
        Campaign,
        CampaignMember,
        Deal,
        DealStageHistory,
        Activity,
        Order,
        OrderItem,
        Ticket,
        Quota,
    )
)
