"""The import log: one row per import (done, refused or failed) in the app database.

The table lives in the app database (``appdb.schema`` declares it from
:func:`import_log_table`, Alembic revision 0003 creates it); ``crm_data`` never imports
``appdb`` (DESIGN.md §2), so the definition is made here and the app's schema takes it.
:func:`record_import` adds a row; ``crm_data.config.resolve_app_url`` finds the app database
as the app does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from access.passwords import EMAIL_LENGTH
from crm_data.errors import CrmDataError

if TYPE_CHECKING:
    from crm_data.importer.run import ImportReport

__all__ = ["IMPORT_LOG", "LOG_COLUMNS", "import_log_table", "recent_imports", "record_import"]


def import_log_table(metadata: sa.MetaData) -> sa.Table:
    """The ``import_log`` table in ``metadata``.

    Parameters
    ----------
    metadata : sa.MetaData
        Where to declare it (the app database's ``appdb.schema.METADATA``).

    Returns
    -------
    sa.Table
        ``id, imported_at, user_email, source, file_name, file_sha256, mapping_name,
        rows_added, rows_updated, rows_rejected, dry_run, outcome, message``; ``outcome`` is
        ``ok``, ``invalid`` (rows broke rules; nothing written) or ``failed``.
    """
    return sa.Table(
        "import_log",
        metadata,
        sa.Column("id", sa.Integer, sa.Sequence("import_log_id_seq"), primary_key=True),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("user_email", sa.String(EMAIL_LENGTH)),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("mapping_name", sa.String(200), nullable=False),
        sa.Column("rows_added", sa.Integer, nullable=False),
        sa.Column("rows_updated", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("message", sa.Text),
    )


#: The table as the importer writes it.
IMPORT_LOG = import_log_table(sa.MetaData())


def record_import(app_engine: sa.Engine, report: ImportReport, user: str | None = None) -> None:
    """Add a row for ``report`` to the import log.

    Parameters
    ----------
    app_engine : sa.Engine
        The app database, at Alembic revision 0003 or later.
    report : ImportReport
        The import's report.
    user : str, optional
        Who imported (an e-mail); None for the command line.

    Raises
    ------
    CrmDataError
        If the app database has no ``import_log`` table or refuses the row.
    """
    totals = report.totals()
    row = {
        "imported_at": datetime.now(UTC).replace(tzinfo=None),
        "user_email": user,
        "source": report.source[:50],
        "file_name": report.file[:255],
        "file_sha256": report.sha256 or None,
        "mapping_name": report.mapping[:200],
        "rows_added": totals.added,
        "rows_updated": totals.updated,
        "rows_rejected": totals.rejected,
        "dry_run": report.dry_run,
        "outcome": report.outcome,
        "message": report.message or None,
    }
    try:
        with app_engine.begin() as conn:
            if not sa.inspect(conn).has_table(IMPORT_LOG.name):
                raise CrmDataError(
                    "the app database has no import_log table, so this import was not "
                    "logged; run `python -m appdb upgrade` (or start the app once) "
                    "to bring the app database up to date"
                )
            conn.execute(IMPORT_LOG.insert(), row)
    except sa.exc.SQLAlchemyError as exc:
        first = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
        raise CrmDataError(f"the import was not logged in the app database: {first}") from None


#: The columns of :func:`recent_imports`: the log's, but its id.
LOG_COLUMNS = [c.name for c in IMPORT_LOG.columns if c.name != "id"]


def recent_imports(app_engine: sa.Engine, limit: int = 100) -> pd.DataFrame:
    """The last ``limit`` imports of the log, the newest first.

    Parameters
    ----------
    app_engine : sa.Engine
        The app database.
    limit : int
        How many rows at most (1 to 10,000).

    Returns
    -------
    DataFrame
        :data:`LOG_COLUMNS`; no row when the app database has no import log yet.

    Raises
    ------
    ValueError
        For a ``limit`` outside 1 to 10,000.
    sqlalchemy.exc.SQLAlchemyError
        When the app database does not answer.
    """
    if not 1 <= limit <= 10_000:
        raise ValueError(f"limit must be between 1 and 10,000, got {limit}")
    with app_engine.connect() as conn:
        if not sa.inspect(conn).has_table(IMPORT_LOG.name):
            return pd.DataFrame(columns=LOG_COLUMNS)
        newest = IMPORT_LOG.c.imported_at.desc(), IMPORT_LOG.c.id.desc()
        rows = conn.execute(
            sa.select(*(IMPORT_LOG.c[name] for name in LOG_COLUMNS)).order_by(*newest).limit(limit)
        ).all()
    return pd.DataFrame(rows, columns=LOG_COLUMNS)
