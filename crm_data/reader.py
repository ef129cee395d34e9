"""The CRM database opened for reading only: notebooks, scripts, analyses beside the app.

DuckDB lets several processes open a file read-only at once, but none while one process has it
open for writing.  The running app opens it read-only (its own tables are in the app database,
DESIGN.md §3); a seeding or an import writes it.  So that an analyst can work beside both,
:func:`open_for_reading` opens a DuckDB file

* **read-only, one connection per query** (no pool): the file is held only while a query runs,
  so a notebook left open does not stop a seeding from starting;
* from a **copy** when a writer holds the file: the file and its write-ahead log are copied to
  a temporary folder at that moment (a :class:`ReadingACopy` warning says so, with the time),
  and the copy is deleted when the engine is garbage-collected or the process ends.  Changes
  made afterwards (a reseed) are not seen until the engine is opened again.

SQLite and server databases are opened as usual (they let readers work beside a writer).
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
import weakref
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from crm_data.config import (
    check_connection,
    create_crm_engine,
    embedded_path,
    mask_url,
    resolve_url,
)
from crm_data.errors import DatabaseLocked, DatabaseUnavailable

__all__ = ["ReadingACopy", "open_for_reading"]


class ReadingACopy(UserWarning):
    """The DuckDB file was held by a writer, so the engine reads a copy taken just now."""


def _duckdb_reader(path: Path) -> Engine:
    """A read-only engine on the DuckDB file ``path``, a connection per checkout."""
    return sa.create_engine(
        f"duckdb:///{path}", connect_args={"read_only": True}, poolclass=NullPool
    )


def _copy(path: Path) -> tuple[Path, Path]:
    """Copy ``path`` and its write-ahead log (if any) into a new temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="crm-copy-"))
    copy = folder / path.name
    shutil.copyfile(path, copy)
    wal = path.with_name(path.name + ".wal")
    if wal.is_file():
        shutil.copyfile(wal, folder / wal.name)
    return folder, copy


def open_for_reading(url: str | None = None) -> Engine:
    """An engine that only reads the CRM database (resolved like the app's, see
    :func:`crm_data.config.resolve_url`).

    Parameters
    ----------
    url : str, optional
        The database URL; default ``CRM_DATABASE_URL``, the secrets file, else the embedded
        ``data/crm.duckdb`` of the project folder.

    Returns
    -------
    Engine
        On a DuckDB file: read-only, without a connection pool, on the file itself or, while
        another process writes it, on a copy (with a :class:`ReadingACopy` warning).

    Raises
    ------
    DatabaseUnavailable
        If the DuckDB file does not exist (with how to create it), or the database cannot be
        opened.

    Examples
    --------
    >>> engine = open_for_reading("sqlite://")  # not DuckDB: an ordinary engine
    >>> engine.dialect.name
    'sqlite'
    """
    resolved = make_url(resolve_url(url))
    path = embedded_path(resolved)
    if resolved.get_backend_name() != "duckdb" or path is None:
        return create_crm_engine(resolved.render_as_string(hide_password=False))
    if not path.is_file():
        raise DatabaseUnavailable(
            mask_url(resolved),
            f"There is no database file at {path}.",
            "Create the demo database with `python -m crm_data seed --size S`, or point "
            "CRM_DATABASE_URL at your CRM database.",
        )
    engine = _duckdb_reader(path)
    try:
        check_connection(engine)
        return engine
    except DatabaseLocked:
        engine.dispose()
    folder, copy = _copy(path)
    engine = _duckdb_reader(copy)
    weakref.finalize(engine, shutil.rmtree, folder, ignore_errors=True)
    warnings.warn(
        f"{path} is held by another process that writes it (the running app, or a seeding); "
        f"reading a copy taken at {datetime.now():%H:%M:%S}. Later changes are not seen "
        "until you open the engine again.",
        ReadingACopy,
        stacklevel=2,
    )
    return engine
