"""Alembic's environment for the app database: run by :func:`appdb.migrate.upgrade`, which
passes the open connection in ``config.attributes["connection"]`` (no ``alembic.ini``, no URL
here).  Offline (SQL script) mode is not supported: the app upgrades its database itself.
"""

from __future__ import annotations

from alembic import context

from appdb.schema import METADATA

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=METADATA)
with context.begin_transaction():
    context.run_migrations()
