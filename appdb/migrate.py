"""The app database's schema versions: Alembic, run from code (no ``alembic.ini``).

:func:`upgrade` brings a database to the latest revision (``appdb/migrations/versions``); the
app calls it when it opens the app database, and so do the CLI commands that use it.  Running
it again changes nothing.  To add a revision, write ``versions/NNNN_what.py`` (the revision
before it as ``down_revision``) and change :mod:`appdb.schema` to match.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.ddl.postgresql import PostgresqlImpl
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from appdb.schema import FIRST_TABLES

__all__ = ["FIRST_REVISION", "MIGRATIONS", "current_revision", "head_revision", "upgrade"]

#: The folder of Alembic's ``env.py`` and ``versions/``.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The revision that made the tables as they were in the CRM database.
FIRST_REVISION = "0001"


class _DuckDBImpl(PostgresqlImpl):
    """Alembic's operations on DuckDB (its SQL is PostgreSQL's; duckdb-engine brings none)."""

    __dialect__ = "duckdb"


def _config(connection: sa.Connection) -> Config:
    """An Alembic configuration running the migrations on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The latest revision of the migrations."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None  # the migrations have one line of revisions
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the app database is at; None for one never upgraded (e.g. empty)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _unversioned_tables(conn: sa.Connection) -> bool:
    """Whether the app tables exist but Alembic never ran here: the app and the CRM data
    share one database made before the app database had versions.
    """
    if MigrationContext.configure(conn).get_current_revision() is not None:
        return False
    inspector = sa.inspect(conn)
    return all(inspector.has_table(table.name) for table in FIRST_TABLES)


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the app database to ``revision`` (default: the latest), in one transaction where
    the database's DDL is transactional (PostgreSQL, SQLite).

    A database whose app tables exist without a revision (one shared with the CRM data from
    before the app database had versions) is stamped :data:`FIRST_REVISION` first: its tables
    are those of that revision.

    Parameters
    ----------
    engine : sa.Engine
        The app database (:func:`appdb.config.create_app_engine`).
    revision : str
        The revision to reach; tests use :data:`FIRST_REVISION`.
    """
    with engine.begin() as conn:
        config = _config(conn)
        if _unversioned_tables(conn):
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)
