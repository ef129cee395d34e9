"""The app's tables as they were in the CRM database, before the app had a database of its own.

Until the app database (DESIGN.md §3), incentive plans and saved views were tables of the CRM
database.  The app copies their rows into the app database the first time it opens one
(``appdb.previous_layout``) and leaves these tables where they are, so a CRM database of the
previous layout may still hold them.  A demo reseed keeps them; one made before their foreign
keys into the CRM tables were dropped has them rebuilt without those keys first, rows kept
(:func:`crm_data.demo.seed.seed_demo`), because those keys would block dropping the CRM tables.

Frozen: these are the tables as the previous layout made them, never changed again.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["PREVIOUS_APP_TABLES"]

_METADATA = sa.MetaData()


def _key(table: str) -> sa.Column[int]:
    """The integer primary key of ``table``, drawn from ``<table>_id_seq``."""
    return sa.Column("id", sa.Integer, sa.Sequence(f"{table}_id_seq"), primary_key=True)


#: The app-owned tables of the previous layout, in dependency order.
PREVIOUS_APP_TABLES: tuple[sa.Table, ...] = (
    sa.Table(
        "kpi_plans",
        _METADATA,
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
    ),
    sa.Table(
        "kpi_plan_items",
        _METADATA,
        _key("kpi_plan_items"),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("kpi_plans.id"), nullable=False),
        sa.Column("metric_key", sa.String(100), nullable=False),
        sa.Column("weight", sa.Double, nullable=False),
        sa.Column("target", sa.Double),
        sa.Column("threshold", sa.Double, nullable=False),
        sa.Column("cap", sa.Double),
        sa.Column("accelerator", sa.Double),
    ),
    sa.Table(
        "kpi_targets",
        _METADATA,
        _key("kpi_targets"),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("kpi_plan_items.id"), nullable=False),
        sa.Column("employee_id", sa.Integer, nullable=False),
        sa.Column("target", sa.Double, nullable=False),
    ),
    sa.Table(
        "saved_views",
        _METADATA,
        _key("saved_views"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("page", sa.String(100), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("owner_id", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
    ),
)
