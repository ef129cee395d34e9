"""Bulk loading of DataFrames into CRM tables with each driver's fast path.

``DataFrame.to_sql`` manages ~20 k rows/s into DuckDB; the native paths below are one to two
orders of magnitude faster (DESIGN.md §10):

==============  ==============================================================================
dialect         path
==============  ==============================================================================
DuckDB          the frame becomes an Arrow table registered on the raw connection, then
                ``INSERT INTO t (cols) SELECT cols FROM <registered>``
PostgreSQL      psycopg 3 ``COPY t (cols) FROM STDIN`` fed with ``write_row``
MySQL/MariaDB   PyMySQL ``executemany`` (which it rewrites into multi-row INSERTs) in batches
SQLite / other  SQLAlchemy Core ``executemany``
==============  ==============================================================================

Every path runs on the caller's connection, so the load is part of the caller's transaction.
Missing values (``None``, ``NaN``, ``NaT``, ``pd.NA``) become SQL NULL; numpy scalars become
Python values; ``sa.Date`` columns receive ``datetime.date`` and ``sa.DateTime`` columns
``datetime.datetime`` values.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from crm_data.queries.frames import driver_connection

__all__ = ["bulk_insert", "sync_sequences", "analyze_tables"]

#: Rows per ``executemany`` batch on MySQL/MariaDB and SQLite.
BATCH_ROWS = 10_000

_registered = itertools.count()


def bulk_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` using the driver's fastest path.

    Parameters
    ----------
    conn : sa.Connection
        An open connection; the load joins its current transaction (the caller commits).
    table : sa.Table
        The target table.
    frame : pd.DataFrame
        One column per table column to fill (names must be table column names; primary keys
        included when explicit ids are wanted).  Column order does not matter.

    Returns
    -------
    int
        The number of rows inserted.

    Raises
    ------
    KeyError
        If the frame has a column the table does not have.
    """
    unknown = [c for c in frame.columns if c not in table.c]
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {unknown}")
    if frame.empty:
        return 0
    name = conn.dialect.name
    if name == "duckdb":
        _insert_duckdb(conn, table, frame)
    elif name == "postgresql" and conn.dialect.driver == "psycopg":
        _insert_postgres(conn, table, frame)
    elif name in ("mysql", "mariadb") and conn.dialect.driver == "pymysql":
        _insert_mysql(conn, table, frame)
    else:
        _insert_core(conn, table, frame)
    return len(frame)


# ---- value conversion -----------------------------------------------------------------------


def _python_values(series: pd.Series, column: sa.Column[Any]) -> list[Any]:
    """The column's values as Python objects fit for a DBAPI driver, ``None`` for missing."""
    missing = series.isna().to_numpy()
    coltype = column.type
    out: list[Any]
    if isinstance(coltype, sa.Date | sa.DateTime):
        unit = "datetime64[us]" if isinstance(coltype, sa.DateTime) else "datetime64[D]"
        stamps = pd.to_datetime(series).to_numpy(dtype="datetime64[us]")
        out = stamps.astype(unit).astype(object).tolist()
    elif isinstance(coltype, sa.Boolean):
        out = [bool(v) for v in series.to_numpy(dtype=object, na_value=False)]
    elif isinstance(coltype, sa.Integer):
        if missing.any():
            out = series.to_numpy(dtype="float64", na_value=0.0).astype("int64").tolist()
        else:
            out = series.to_numpy(dtype="int64").tolist()
    elif isinstance(coltype, sa.Float | sa.Numeric):
        out = series.to_numpy(dtype="float64", na_value=np.nan).tolist()
    else:
        out = [v if isinstance(v, str) else str(v) for v in series.to_numpy(dtype=object)]
    if missing.any():
        out = [None if m else v for v, m in zip(out, missing, strict=True)]
    return out


def _frame_columns(table: sa.Table, frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Column name → list of Python values (``None`` for missing) for a DBAPI driver.

    Parameters
    ----------
    table : sa.Table
        Gives each column's SQL type (dates become ``date``, timestamps ``datetime``).
    frame : pd.DataFrame
        The data; its columns must be columns of ``table``.
    """
    return {name: _python_values(frame[name], table.c[name]) for name in frame.columns}


def _rows(table: sa.Table, frame: pd.DataFrame) -> Iterable[tuple[Any, ...]]:
    """Row tuples of Python values in the frame's column order."""
    return zip(*_frame_columns(table, frame).values(), strict=True)


# ---- driver paths ---------------------------------------------------------------------------


def _arrow_table(table: sa.Table, frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table (``NaN``/``NaT``/``None`` → null, dates as date32)."""
    arrays = {}
    for name in frame.columns:
        series = frame[name]
        coltype = table.c[name].type
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if isinstance(coltype, sa.Date):
            arr = pa.array(pd.to_datetime(series), from_pandas=True, type=pa.timestamp("us"))
            arrays[name] = arr.cast(pa.date32())
        else:
            arrays[name] = pa.array(series, from_pandas=True)
    return pa.table(arrays)


def _insert_duckdb(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    raw = driver_connection(conn)
    view = f"_bulk_{table.name}_{next(_registered)}"
    columns = ", ".join(_quote(conn, c) for c in frame.columns)
    raw.register(view, _arrow_table(table, frame))
    try:
        raw.execute(
            f"INSERT INTO {_quote(conn, table.name)} ({columns}) SELECT {columns} FROM {view}"
        )
    finally:
        raw.unregister(view)


def _insert_postgres(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    raw = driver_connection(conn)
    columns = ", ".join(_quote(conn, c) for c in frame.columns)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {_quote(conn, table.name)} ({columns}) FROM STDIN") as copy,
    ):
        for start in range(0, len(frame), 100_000):
            for row in _rows(table, frame.iloc[start : start + 100_000]):
                copy.write_row(row)


def _insert_mysql(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    raw = driver_connection(conn)
    columns = ", ".join(_quote(conn, c) for c in frame.columns)
    marks = ", ".join(["%s"] * len(frame.columns))
    sql = f"INSERT INTO {_quote(conn, table.name)} ({columns}) VALUES ({marks})"
    with raw.cursor() as cursor:
        for start in range(0, len(frame), BATCH_ROWS):
            cursor.executemany(sql, list(_rows(table, frame.iloc[start : start + BATCH_ROWS])))


def _insert_core(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    names = list(frame.columns)
    for start in range(0, len(frame), BATCH_ROWS):
        chunk = frame.iloc[start : start + BATCH_ROWS]
        records = [dict(zip(names, row, strict=True)) for row in _rows(table, chunk)]
        conn.execute(table.insert(), records)


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


# ---- sequences ------------------------------------------------------------------------------


def sync_sequences(engine: sa.Engine, metadata: sa.MetaData | None = None) -> dict[str, int]:
    """Move each table's id sequence past ``max(id)`` after explicit-id inserts.

    PostgreSQL uses ``setval``.  DuckDB cannot ``ALTER`` a sequence's value, but the schema's
    sequences are not column defaults (SQLAlchemy calls ``nextval`` explicitly on insert), so
    ``CREATE OR REPLACE SEQUENCE … START WITH max+1`` replaces them cleanly.  MariaDB ≥ 10.3
    has sequences too (SQLAlchemy creates them and calls ``nextval``), moved with ``SETVAL``.
    MySQL ``AUTO_INCREMENT`` and SQLite ``rowid`` keys advance by themselves: nothing to do.

    Parameters
    ----------
    engine : sa.Engine
        The database.
    metadata : sa.MetaData, optional
        Tables to consider; default the CRM schema (:data:`crm_data.schema.Base.metadata`).

    Returns
    -------
    dict[str, int]
        Sequence name → the next value it will hand out (empty where nothing was done).
    """
    if metadata is None:
        from crm_data.schema import Base

        metadata = Base.metadata
    name = engine.dialect.name
    if name not in ("postgresql", "duckdb", "mysql", "mariadb"):
        return {}
    done: dict[str, int] = {}
    with engine.begin() as conn:
        # known only once connected (MySQL has none, MariaDB >= 10.3 has them)
        if not conn.dialect.supports_sequences:
            return {}
        for table in metadata.sorted_tables:
            for column in table.primary_key.columns:
                seq = column.default
                if not isinstance(seq, sa.Sequence):
                    continue
                if not sa.inspect(conn).has_table(table.name):
                    continue
                top = conn.execute(sa.select(sa.func.max(column))).scalar() or 0
                nxt = int(top) + 1
                if name == "postgresql":
                    conn.execute(
                        sa.text("SELECT setval(:seq, :value, false)"),
                        {"seq": seq.name, "value": nxt},
                    )
                elif name in ("mysql", "mariadb"):
                    conn.execute(sa.text(f"SELECT SETVAL({_quote(conn, seq.name)}, {nxt}, 0)"))
                else:
                    conn.exec_driver_sql(
                        f"CREATE OR REPLACE SEQUENCE {_quote(conn, seq.name)} START WITH {nxt}"
                    )
                done[seq.name] = nxt
    return done


# ---- planner statistics ---------------------------------------------------------------------


def analyze_tables(engine: sa.Engine, tables: Iterable[sa.Table]) -> None:
    """Refresh the query planner's statistics of ``tables`` after a bulk load.

    Without this, PostgreSQL plans the first queries after a load with the statistics of the
    empty tables (one row each) and picks nested loops that take minutes instead of a second;
    autovacuum catches up only later.  MySQL/MariaDB (``ANALYZE TABLE``) and SQLite
    (``ANALYZE``) get the same treatment; DuckDB keeps its statistics up to date by itself.
    """
    name = engine.dialect.name
    if name == "duckdb":
        return
    names = [t.name for t in tables]
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in names:
            quoted = _quote(conn, table)
            if name == "postgresql":
                conn.exec_driver_sql(f"ANALYZE {quoted}")
            elif name in ("mysql", "mariadb"):
                conn.exec_driver_sql(f"ANALYZE TABLE {quoted}").fetchall()
            elif name == "sqlite":
                conn.exec_driver_sql(f"ANALYZE {quoted}")
