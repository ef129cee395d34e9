"""Import from the previous layout, where the app's tables lived in the CRM database.

Before the app had a database of its own, ``app_users``, ``kpi_plans``, ``kpi_plan_items``
and ``kpi_targets`` were tables of the CRM database.  The first time the app opens an app
database that holds no users and no plans while the CRM database still has those tables, their
rows are copied over, ids kept (so every plan keeps its key, versions and history, and every
user their logins' ``session_version``).  The old tables are left in the CRM database: the app
does not write there.  An administrator may drop them once the import is checked.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from appdb.schema import APP_TABLES, APP_USERS, METADATA, PLANS
from crm_data.bulk import sync_sequences

__all__ = ["import_previous_layout"]

_LOG = logging.getLogger(__name__)
#: The value of a column an older table lacks (``session_version`` came after ``app_users``).
_MISSING_DEFAULTS = {"session_version": 0}


def _is_empty(conn: sa.Connection) -> bool:
    """Whether the app database holds no users and no plans."""
    return all(
        conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0
        for table in (APP_USERS, PLANS)
    )


def _old_rows(conn: sa.Connection, table: sa.Table) -> list[dict[str, object]]:
    """The rows of the CRM database's ``table`` (none without it), with the columns of the
    app database's table (one the old table lacks gets its default).
    """
    if not sa.inspect(conn).has_table(table.name):
        return []
    # the columns of a query, not the inspector: duckdb-engine's lacks get_columns
    probe = sa.select(sa.text("*")).select_from(sa.table(table.name)).limit(0)
    names = conn.execute(probe).keys()
    present = {str(name).lower() for name in names}
    columns = [sa.column(c.name, c.type) for c in table.columns if c.name in present]
    query = sa.select(*columns).select_from(sa.table(table.name)).order_by(sa.column("id"))
    rows = [dict(row) for row in conn.execute(query).mappings()]
    missing = {
        c.name: _MISSING_DEFAULTS.get(c.name) for c in table.columns if c.name not in present
    }
    return [{**row, **missing} for row in rows]


def _same_database(app: sa.Engine, crm: sa.Engine) -> bool:
    return app.url.render_as_string(hide_password=False) == crm.url.render_as_string(
        hide_password=False
    )


def import_previous_layout(app: sa.Engine, crm: sa.Engine) -> dict[str, int]:
    """Copy the app tables' rows from the CRM database into an empty app database, ids kept.

    Nothing is done when the app database holds a user or a plan (the import happened, or the
    app has been used), when the CRM database has none of the old tables or they are empty,
    or when both engines are the same database.

    Parameters
    ----------
    app : sa.Engine
        The app database, at the latest revision (:func:`appdb.upgrade`).
    crm : sa.Engine
        The CRM database; only read.

    Returns
    -------
    dict[str, int]
        Table name -> rows copied, for the tables that had rows; empty when nothing was done.
        A log line (``appdb.previous_layout``, INFO) says the same.
    """
    if _same_database(app, crm):
        return {}
    with app.connect() as conn:
        if not _is_empty(conn):
            return {}
    with crm.connect() as conn:
        rows = {table.name: _old_rows(conn, table) for table in APP_TABLES}
    copied = {name: len(found) for name, found in rows.items() if found}
    if not copied:
        return {}
    with app.begin() as conn:
        if not _is_empty(conn):  # another process imported meanwhile
            return {}
        for table in APP_TABLES:
            if rows[table.name]:
                conn.execute(table.insert(), rows[table.name])
    sync_sequences(app, METADATA)  # the next ids follow the copied ones
    _LOG.info(
        "Imported from the CRM database's app tables (previous layout): %s",
        ", ".join(f"{count} {name}" for name, count in copied.items()),
    )
    return copied
