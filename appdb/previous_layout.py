"""Import from the previous layout, where the app's tables lived in the CRM database.

Before the app had a database of its own, ``app_users``, ``kpi_plans``, ``kpi_plan_items``
and ``kpi_targets`` were tables of the CRM database.  Store by store (the users; the plans and
their items and targets), the first time the app opens an app database that holds nothing of a
store while the CRM database still has its tables, their rows are copied over, ids kept (so
every plan keeps its key, versions and history, and every user their logins'
``session_version``).  The old tables are left in the CRM database, which the import only
reads; an administrator may drop them once the import is checked.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from appdb.schema import APP_USERS, METADATA, PLAN_TABLES
from crm_data.bulk import sync_sequences

__all__ = ["MOVED_STORES", "PLAN_STORE", "USER_STORE", "import_previous_layout"]

_LOG = logging.getLogger(__name__)
#: The value of a column an older table lacks (``session_version`` came after ``app_users``).
_MISSING_DEFAULTS = {"session_version": 0}

#: The tables of each store, imported together (in dependency order).
USER_STORE: tuple[sa.Table, ...] = (APP_USERS,)
PLAN_STORE: tuple[sa.Table, ...] = PLAN_TABLES
#: The stores of the app database, each imported on its own.
MOVED_STORES: tuple[tuple[sa.Table, ...], ...] = (USER_STORE, PLAN_STORE)


def _is_empty(conn: sa.Connection, store: tuple[sa.Table, ...]) -> bool:
    """Whether the app database holds no row of ``store``'s first (main) table."""
    count = sa.select(sa.func.count()).select_from(store[0])
    return conn.execute(count).scalar_one() == 0


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


def import_previous_layout(
    app: sa.Engine, crm: sa.Engine, stores: tuple[tuple[sa.Table, ...], ...] = MOVED_STORES
) -> dict[str, int]:
    """Copy the rows of the app tables of ``stores`` from the CRM database into the app
    database, ids kept, for each store the app database holds nothing of yet.

    A store is left alone when the app database holds a row of it (the import happened, or
    the app has been used) or the CRM database has none; nothing is done when both engines are
    the same database.

    Parameters
    ----------
    app : sa.Engine
        The app database, at the latest revision (:func:`appdb.upgrade`).
    crm : sa.Engine
        The CRM database; only read.
    stores : tuple of table tuples
        The stores to import (default :data:`MOVED_STORES`), e.g. ``(USER_STORE, PLAN_STORE)``.

    Returns
    -------
    dict[str, int]
        Table name -> rows copied, for the tables that had rows; empty when nothing was done.
        A log line (``appdb.previous_layout``, INFO) says the same.
    """
    if _same_database(app, crm):
        return {}
    with app.connect() as conn:
        wanted = [store for store in stores if _is_empty(conn, store)]
    with crm.connect() as conn:
        rows = {table: _old_rows(conn, table) for store in wanted for table in store}
    if not any(rows.values()):
        return {}
    copied: dict[str, int] = {}
    with app.begin() as conn:
        for store in wanted:
            if not _is_empty(conn, store):  # another process imported meanwhile
                continue
            for table in store:
                if rows[table]:
                    conn.execute(table.insert(), rows[table])
                    copied[table.name] = len(rows[table])
    if not copied:
        return {}
    sync_sequences(app, METADATA)  # the next ids follow the copied ones
    _LOG.info(
        "Imported from the CRM database's app tables (previous layout): %s",
        ", ".join(f"{count} {name}" for name, count in copied.items()),
    )
    return copied
