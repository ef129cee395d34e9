"""The app database's tables (DESIGN.md §3): dashboard users, versioned KPI plans, the
forecasts the app showed and the import log.

The app owns these tables and is their only writer; they live in the app database
(:mod:`appdb.config`), never in the CRM database, so a reseed of the demo company keeps them
and the app needs no write access to the CRM data.  Ids that point into the CRM database
(``employee_id``, ``team_id``, ``created_by``) are plain integers, not foreign keys: the two
databases may be on different servers.

The schema is versioned by the Alembic migrations in ``appdb/migrations`` (:func:`appdb.upgrade`);
these definitions are what the code reads and writes, and a migration that changes a table
changes it here too.

Conventions (those of ``crm_data.schema``): integer primary keys carry an explicit ``Sequence``
(DuckDB needs one, MySQL ignores it); timestamps are naive UTC ``DateTime``; numbers ``Double``.
"""

from __future__ import annotations

import sqlalchemy as sa

from access.passwords import EMAIL_LENGTH
from crm_data.importer.log import IMPORT_LOG as IMPORTER_LOG

__all__ = [
    "APP_TABLES",
    "APP_USERS",
    "FIRST_TABLES",
    "FORECASTS",
    "IMPORT_LOG",
    "ITEMS",
    "METADATA",
    "NAME_LENGTH",
    "PLANS",
    "PLAN_TABLES",
    "TARGETS",
]

#: The longest display name of a user or a plan.
NAME_LENGTH = 200

METADATA = sa.MetaData()

APP_USERS = sa.Table(
    "app_users",
    METADATA,
    sa.Column("id", sa.Integer, sa.Sequence("app_users_id_seq"), primary_key=True),
    sa.Column("email", sa.String(EMAIL_LENGTH), unique=True, nullable=False),
    sa.Column("name", sa.String(NAME_LENGTH)),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("employee_id", sa.Integer),
    sa.Column("password_hash", sa.String(200)),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    # stamped into every login token (access.tokens); another value ends them (appdb.sessions)
    sa.Column("session_version", sa.Integer, nullable=False, default=0),
)

#: One version of an incentive plan; ``plan_key`` groups the versions of one plan.
PLANS = sa.Table(
    "kpi_plans",
    METADATA,
    sa.Column("id", sa.Integer, sa.Sequence("kpi_plans_id_seq"), primary_key=True),
    sa.Column("plan_key", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("team_id", sa.Integer),
    sa.Column("on_target_bonus", sa.Double, nullable=False, default=0.0),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.Integer),
    sa.UniqueConstraint("plan_key", "version"),
)

#: An item of a plan version: metric, weight, threshold, cap, accelerator.
ITEMS = sa.Table(
    "kpi_plan_items",
    METADATA,
    sa.Column("id", sa.Integer, sa.Sequence("kpi_plan_items_id_seq"), primary_key=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("kpi_plans.id"), nullable=False),
    sa.Column("metric_key", sa.String(100), nullable=False),
    sa.Column("weight", sa.Double, nullable=False),
    sa.Column("target", sa.Double),
    sa.Column("threshold", sa.Double, nullable=False, default=0.0),
    sa.Column("cap", sa.Double),
    sa.Column("accelerator", sa.Double),
    sa.Index("ix_kpi_plan_items_plan_id", "plan_id"),
)

#: A per-rep target overriding an item's common target.
TARGETS = sa.Table(
    "kpi_targets",
    METADATA,
    sa.Column("id", sa.Integer, sa.Sequence("kpi_targets_id_seq"), primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("kpi_plan_items.id"), nullable=False),
    sa.Column("employee_id", sa.Integer, nullable=False),
    sa.Column("target", sa.Double, nullable=False),
    sa.Index("ix_kpi_targets_item_id", "item_id"),
)

#: A forecast the app showed, kept so later months show how accurate it was (issue #19):
#: when it was made (the evaluation day of its data), the period it forecast, the segment
#: (``company``, ``team:<id>``, ``rep:<id>``, ``product_line:<name>``), the model and the value
#: with its interval.  One row per (day made, period, segment, model): a forecast made again the
#: same day replaces the earlier one.
FORECASTS = sa.Table(
    "forecasts",
    METADATA,
    sa.Column("id", sa.Integer, sa.Sequence("forecasts_id_seq"), primary_key=True),
    sa.Column("made_on", sa.Date, nullable=False),
    sa.Column("target_start", sa.Date, nullable=False),
    sa.Column("target_end", sa.Date, nullable=False),
    sa.Column("segment", sa.String(150), nullable=False),
    sa.Column("model", sa.String(50), nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("lower", sa.Double),
    sa.Column("upper", sa.Double),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("made_on", "target_start", "target_end", "segment", "model"),
)

#: One row per import of a CRM export (``python -m crm_data import``), whatever its outcome:
#: who, when, which file (name and SHA-256) through which mapping from which source system,
#: rows added/updated/rejected, whether a dry run, ``ok``/``invalid``/``failed`` and why.
#: Declared by the importer (:func:`crm_data.importer.log.import_log_table`), which writes it.
IMPORT_LOG = IMPORTER_LOG.to_metadata(METADATA)

#: The plan tables, in dependency order.
PLAN_TABLES: tuple[sa.Table, ...] = (PLANS, ITEMS, TARGETS)
#: The tables of the first revision (those the CRM database held before the app database).
FIRST_TABLES: tuple[sa.Table, ...] = (APP_USERS, *PLAN_TABLES)
#: Every table of the app database, in dependency (load) order.
APP_TABLES: tuple[sa.Table, ...] = (*FIRST_TABLES, FORECASTS, IMPORT_LOG)
