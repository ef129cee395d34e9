"""The app tables as they were in the CRM database: users and versioned KPI plans.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

Frozen: the tables are spelled out here, not taken from ``appdb.schema`` (which follows the
latest revision).  The id sequences are created where the database has sequences (PostgreSQL,
MariaDB, DuckDB): the schema's keys draw from them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SEQUENCES = ("app_users_id_seq", "kpi_plans_id_seq", "kpi_plan_items_id_seq", "kpi_targets_id_seq")


def _key(table: str) -> sa.Column:
    """The integer primary key of ``table``, drawn from ``<table>_id_seq``."""
    return sa.Column("id", sa.Integer, sa.Sequence(f"{table}_id_seq"), primary_key=True)


def upgrade() -> None:
    """Create ``app_users``, ``kpi_plans``, ``kpi_plan_items`` and ``kpi_targets``."""
    if op.get_bind().dialect.supports_sequences:
        for name in _SEQUENCES:
            op.execute(sa.schema.CreateSequence(sa.Sequence(name)))
    op.create_table(
        "app_users",
        _key("app_users"),
        sa.Column("email", sa.String(320), unique=True, nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("employee_id", sa.Integer),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("session_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "kpi_plans",
        _key("kpi_plans"),
        sa.Column("plan_key", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("team_id", sa.Integer),
        sa.Column("on_target_bonus", sa.Double, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.Integer),
        sa.UniqueConstraint("plan_key", "version"),
    )
    op.create_table(
        "kpi_plan_items",
        _key("kpi_plan_items"),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("kpi_plans.id"), nullable=False),
        sa.Column("metric_key", sa.String(100), nullable=False),
        sa.Column("weight", sa.Double, nullable=False),
        sa.Column("target", sa.Double),
        sa.Column("threshold", sa.Double, nullable=False),
        sa.Column("cap", sa.Double),
        sa.Column("accelerator", sa.Double),
    )
    op.create_index("ix_kpi_plan_items_plan_id", "kpi_plan_items", ["plan_id"])
    op.create_table(
        "kpi_targets",
        _key("kpi_targets"),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("kpi_plan_items.id"), nullable=False),
        sa.Column("employee_id", sa.Integer, nullable=False),
        sa.Column("target", sa.Double, nullable=False),
    )
    op.create_index("ix_kpi_targets_item_id", "kpi_targets", ["item_id"])


def downgrade() -> None:
    """Drop the four tables and their sequences."""
    for table in ("kpi_targets", "kpi_plan_items", "kpi_plans", "app_users"):
        op.drop_table(table)
    if op.get_bind().dialect.supports_sequences:
        for name in _SEQUENCES:
            op.execute(sa.schema.DropSequence(sa.Sequence(name)))
