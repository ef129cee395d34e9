"""Run a SQLAlchemy ``Select`` and return a DataFrame with fixed dtypes.

Drivers disagree on what they hand back: SQLite returns dates as text and booleans as 0/1,
PostgreSQL returns ``SUM`` of integers as ``Decimal``, MySQL returns ``AVG`` as ``Decimal``, an
empty result carries no type information at all.  Every query function in
:mod:`crm_data.queries` declares the kind of each output column and :func:`read_frame` coerces
to it, so a frame has identical dtypes on DuckDB, SQLite, PostgreSQL and MySQL/MariaDB.

Kinds and the dtypes they map to:

===========  ==================  ===========================================
kind         dtype               notes
===========  ==================  ===========================================
``int``      ``int64``           NULL is not allowed (counts, ids)
``Int``      ``Int64``           nullable integer (``pd.NA`` for NULL)
``float``    ``float64``         NULL becomes NaN
``bool``     ``bool``            NULL is not allowed
``str``      ``str``             pandas' string dtype; NULL stays missing
``datetime`` ``datetime64[us]``  timestamps and dates (a DATE is midnight)
===========  ==================  ===========================================
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, Literal

import pandas as pd
import sqlalchemy as sa

__all__ = [
    "sort_rows",
    "Bind",
    "Kind",
    "DATETIME_DTYPE",
    "connect",
    "driver_connection",
    "read_frame",
    "coerce_frame",
    "empty_frame",
]

#: What query functions accept: an engine (a connection is opened and closed) or a connection.
Bind = sa.Engine | sa.Connection
Kind = Literal["int", "Int", "float", "bool", "str", "datetime"]
DATETIME_DTYPE: Final = "datetime64[us]"

_Dtype = Literal["int64", "Int64", "float64", "bool", "str", "datetime64[us]"]
_DTYPES: dict[str, _Dtype] = {
    "int": "int64",
    "Int": "Int64",
    "float": "float64",
    "bool": "bool",
    "str": "str",
    "datetime": DATETIME_DTYPE,
}


@contextmanager
def connect(bind: Bind) -> Iterator[sa.Connection]:
    """Yield a connection: ``bind`` itself, or a new one from an engine (closed afterwards)."""
    if isinstance(bind, sa.Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def driver_connection(conn: sa.Connection) -> Any:
    """The driver's own connection under ``conn`` (DuckDB's, psycopg's, PyMySQL's), for the
    native fast paths; in the same transaction as ``conn``.
    """
    raw = conn.connection.driver_connection
    if raw is None:  # SQLAlchemy drops it only when the connection was invalidated
        raise sa.exc.InvalidRequestError("the connection was invalidated")
    return raw


def _coerce(values: pd.Series, kind: str) -> pd.Series:
    if kind == "datetime":
        if pd.api.types.is_datetime64_dtype(values.dtype):
            return values.astype(DATETIME_DTYPE)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "mixed"):
            # SQLite (and MySQL for mixed CASE branches) return ISO text, not always one format.
            text = values.astype("str")
            return pd.to_datetime(text, format="ISO8601").astype(DATETIME_DTYPE)
        return pd.to_datetime(values).astype(DATETIME_DTYPE)
    if kind in ("int", "Int", "float"):
        if pd.api.types.is_numeric_dtype(values.dtype):  # typed column (DuckDB's native fetch)
            numeric = values
        else:
            numeric = pd.to_numeric(values.astype(object).where(values.notna(), None))
        if kind == "int" and numeric.isna().any():
            raise ValueError(f"column {values.name!r} has NULLs but is declared 'int'")
        return numeric.astype(_DTYPES[kind])
    if kind == "bool":
        if values.isna().any():
            raise ValueError(f"column {values.name!r} has NULLs but is declared 'bool'")
        if pd.api.types.is_numeric_dtype(values.dtype):  # bool, or 0/1 integers
            return values.astype("bool")
        return values.astype(object).map(bool).astype("bool")
    if kind == "str":
        return values.astype("str").where(values.notna(), None).astype("str")
    raise ValueError(f"unknown kind {kind!r}")


def coerce_frame(frame: pd.DataFrame, kinds: Mapping[str, Kind]) -> pd.DataFrame:
    """Return ``frame`` with exactly the columns of ``kinds``, in that order, coerced to them."""
    data = {name: _coerce(frame[name], kind) for name, kind in kinds.items()}
    return pd.DataFrame(data, index=pd.RangeIndex(len(frame)))


def _fetch(conn: sa.Connection, stmt: sa.Select[Any]) -> pd.DataFrame:
    """Rows of ``stmt`` as a raw DataFrame (dtypes as the driver delivers them).

    On DuckDB the compiled statement runs on the driver connection, inside the same
    transaction, and DuckDB builds the typed columns itself: five times faster than going
    row by row through SQLAlchemy's result (1.8 M rows: 0.5 s instead of 2.9 s).
    """
    if conn.dialect.name == "duckdb":
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        args = [params[k] for k in compiled.positiontup or ()] if compiled.positional else params
        return driver_connection(conn).execute(str(compiled), args).df()
    result = conn.execute(stmt)
    # plain tuples: pandas probes each Row for ``_fields`` etc., which costs ~7 µs a row
    rows = [tuple(row) for row in result.fetchall()]
    return pd.DataFrame(rows, columns=list(result.keys()), dtype=object)


def read_frame(bind: Bind, stmt: sa.Select[Any], kinds: Mapping[str, Kind]) -> pd.DataFrame:
    """Execute ``stmt`` and return its rows as a DataFrame with the dtypes of ``kinds``.

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the statement.
    stmt : Select
        The statement; its labelled columns must include every key of ``kinds``.
    kinds : mapping of column name to kind
        Output columns in order, with their kind (see the module docstring).

    Returns
    -------
    DataFrame
        One row per result row, a ``RangeIndex``, identical dtypes on every dialect, also
        when the result is empty.
    """
    with connect(bind) as conn:
        frame = _fetch(conn, stmt)
    if frame.empty:
        return empty_frame(kinds)
    return coerce_frame(frame, kinds)


def empty_frame(kinds: Mapping[str, Kind]) -> pd.DataFrame:
    """A frame with no rows and the columns and dtypes of ``kinds``."""
    return coerce_frame(pd.DataFrame({name: pd.Series([], dtype=object) for name in kinds}), kinds)


def sort_rows(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """``frame`` ordered by ``keys`` with missing values first, whatever the dialect (NULLs
    sort first on some databases and last on others).
    """
    if frame.empty or not keys:
        return frame
    return frame.sort_values(list(keys), na_position="first", kind="stable").reset_index(drop=True)
