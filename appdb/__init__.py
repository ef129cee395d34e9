"""The app's own database (DESIGN.md §3): users, KPI plans and their versions.

The CRM database (:mod:`crm_data`) is the company's data, which the app only reads; what the
app itself owns lives here, in a database of its own (:mod:`appdb.config`: default the SQLite
file ``data/app.sqlite``, PostgreSQL or MySQL/MariaDB for teams), with its schema versions
managed by Alembic (:func:`upgrade`).  ``crm_data`` never imports this package.
"""

from __future__ import annotations

import sqlalchemy as sa

from appdb.migrate import upgrade
from appdb.previous_layout import import_previous_layout

__all__ = ["open_app_database", "upgrade"]


def open_app_database(app: sa.Engine, crm: sa.Engine) -> dict[str, int]:
    """Make the app database ready: bring it to the latest revision (:func:`upgrade`), then,
    the first time, import the app's rows from the CRM database of the previous layout
    (:func:`appdb.previous_layout.import_previous_layout`).

    Returns
    -------
    dict[str, int]
        Table name -> rows imported from the previous layout; empty when nothing was.
    """
    upgrade(app)
    return import_previous_layout(app, crm)
