"""Portable SQL: the few constructs whose spelling differs between DuckDB, SQLite, PostgreSQL
and MySQL/MariaDB, as SQLAlchemy ``@compiles`` extensions.

Every other query in ``crm_data`` is plain SQLAlchemy Core and uses these for dates:

* :func:`trunc_date` — a timestamp truncated to the start of its day, ISO week (Monday), month,
  quarter or year, returned as a ``DATE``.
* :func:`days_between` — ``end - start`` in fractional days (``DOUBLE``).
* :func:`floor_` — the largest integer not above a number (SQLite builds may lack ``FLOOR``);
  :func:`bin_down` — the index of the bin of width ``1 / per_unit`` a number falls in.

Unknown dialects fall back to PostgreSQL's spelling, which most warehouses (Trino, Snowflake,
Redshift, DuckDB) accept.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

__all__ = ["Unit", "UNITS", "trunc_date", "days_between", "floor_", "bin_down", "BIN_EPSILON"]

Unit = Literal["day", "week", "month", "quarter", "year"]
UNITS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")


class _TruncDate(FunctionElement[Any]):
    """``trunc_date(unit, expr)``; see :func:`trunc_date`."""

    type = sa.Date()
    inherit_cache = True
    name = "trunc_date"

    def __init__(self, unit: str, expr: Any) -> None:
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        self.unit = unit
        super().__init__(expr)


# The unit is part of the statement text, so it must be part of the cache key.
_TruncDate._traverse_internals = FunctionElement._traverse_internals + [  # type: ignore[operator]
    ("unit", sa.sql.visitors.InternalTraversal.dp_string)
]


class _DaysBetween(FunctionElement[Any]):
    """``days_between(start, end)``; see :func:`days_between`."""

    type = sa.Double()
    inherit_cache = True
    name = "days_between"


class _Floor(FunctionElement[Any]):
    """``floor_(expr)``; see :func:`floor_`."""

    type = sa.Double()
    inherit_cache = True
    name = "floor_"


#: Added (in bins) before flooring in :func:`bin_down`: 1e-6 of a bin.  Larger than the rounding
#: error of :func:`days_between` on any dialect (SQLite's ``julianday`` difference is exact to
#: ~5e-10 day, i.e. 5e-9 of a 0.1-day bin), much smaller than one second in 0.1-day bins.
BIN_EPSILON = 1e-6


def trunc_date(unit: Unit, expr: Any) -> ColumnElement[Any]:
    """Truncate a timestamp (or date) to the start of its ``unit`` and return a ``DATE``.

    Parameters
    ----------
    unit : {"day", "week", "month", "quarter", "year"}
        Weeks start on Monday (ISO 8601) on every dialect.
    expr : column expression
        A ``TIMESTAMP``/``DATETIME`` or ``DATE`` expression.

    Examples
    --------
    >>> import sqlalchemy as sa
    >>> stmt = sa.select(trunc_date("month", sa.column("ordered_at")))
    """
    return _TruncDate(unit, expr)


def days_between(start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in fractional days, as a ``DOUBLE``; NULL if either side is NULL."""
    return _DaysBetween(start, end)


def floor_(expr: Any) -> ColumnElement[Any]:
    """The largest integer not greater than ``expr`` (a number), on every dialect.

    ``CAST(x AS INTEGER)`` is no substitute: it rounds on DuckDB, PostgreSQL and MySQL and
    truncates toward zero on SQLite; and SQLite has ``FLOOR`` only when built with its math
    functions.  The value is integral but its SQL type follows the argument (``DOUBLE`` or
    ``NUMERIC``); NULL stays NULL.

    Examples
    --------
    >>> import sqlalchemy as sa
    >>> stmt = sa.select(floor_(sa.column("x") * 10))
    """
    return _Floor(expr)


def bin_down(expr: Any, per_unit: int = 10) -> ColumnElement[Any]:
    """Index of the bin of width ``1 / per_unit`` holding ``expr``: ``floor(expr * per_unit)``.

    The lower edge of the bin is ``index / per_unit`` (3.47 → 34 → 3.4 with ``per_unit=10``).
    :data:`BIN_EPSILON` of a bin is added before flooring, so values computed with rounding
    error (``days_between`` on SQLite works through ``julianday`` floats) land in the same bin
    on every dialect: a value exactly on an edge goes to the bin above it.
    """
    return floor_(expr * per_unit + BIN_EPSILON)


def _args(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(c, **kw) for c in element.clauses]


# ---- trunc_date ------------------------------------------------------------------------------


@compiles(_TruncDate)
def _trunc_default(element: _TruncDate, compiler: Any, **kw: Any) -> str:
    (x,) = _args(element, compiler, **kw)
    return f"CAST(date_trunc('{element.unit}', {x}) AS DATE)"


@compiles(_TruncDate, "sqlite")
def _trunc_sqlite(element: _TruncDate, compiler: Any, **kw: Any) -> str:
    (x,) = _args(element, compiler, **kw)
    if element.unit == "day":
        return f"date({x})"
    if element.unit == "week":
        return f"date({x}, '-' || ((CAST(strftime('%w', {x}) AS INTEGER) + 6) % 7) || ' days')"
    if element.unit == "month":
        return f"date({x}, 'start of month')"
    if element.unit == "quarter":
        return (
            f"date({x}, 'start of month', "
            f"'-' || ((CAST(strftime('%m', {x}) AS INTEGER) - 1) % 3) || ' months')"
        )
    return f"date({x}, 'start of year')"


@compiles(_TruncDate, "mysql")
def _trunc_mysql(element: _TruncDate, compiler: Any, **kw: Any) -> str:
    (x,) = _args(element, compiler, **kw)
    if element.unit == "day":
        return f"DATE({x})"
    if element.unit == "week":
        return f"DATE_SUB(DATE({x}), INTERVAL WEEKDAY({x}) DAY)"
    if element.unit == "month":
        return f"DATE_SUB(DATE({x}), INTERVAL (DAYOFMONTH({x}) - 1) DAY)"
    if element.unit == "quarter":
        return f"(MAKEDATE(YEAR({x}), 1) + INTERVAL (QUARTER({x}) - 1) * 3 MONTH)"
    return f"MAKEDATE(YEAR({x}), 1)"


# ---- days_between ----------------------------------------------------------------------------


@compiles(_DaysBetween)
def _days_default(element: _DaysBetween, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(EXTRACT(EPOCH FROM ({end}) - ({start})) / 86400.0)"


@compiles(_DaysBetween, "duckdb")
def _days_duckdb(element: _DaysBetween, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(date_diff('millisecond', {start}, {end}) / 86400000.0)"


@compiles(_DaysBetween, "sqlite")
def _days_sqlite(element: _DaysBetween, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(julianday({end}) - julianday({start}))"


@compiles(_DaysBetween, "mysql")
def _days_mysql(element: _DaysBetween, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    # a float literal: dividing by a DECIMAL literal would round to div_precision_increment (4)
    return f"(TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 8.64e10)"


# ---- floor_ ------------------------------------------------------------------------------------


@compiles(_Floor)
def _floor_default(element: _Floor, compiler: Any, **kw: Any) -> str:
    (x,) = _args(element, compiler, **kw)
    return f"FLOOR({x})"


@compiles(_Floor, "sqlite")
def _floor_sqlite(element: _Floor, compiler: Any, **kw: Any) -> str:
    (x,) = _args(element, compiler, **kw)
    # CAST truncates toward zero; one less for negative non-integers
    return f"(CAST(({x}) AS INTEGER) - (({x}) < CAST(({x}) AS INTEGER)))"
