"""What is in the CRM database: dialect, masked URL, server version, rows and date ranges.

One ``SELECT count(*), min(date), max(date)`` per CRM table (SQLAlchemy Core), so the report
costs one scan per table even on a large database.  A table that does not exist is reported as
absent (``rows is None``) instead of failing, and a date column that a hand-made table lacks is
simply left out of its range.

Used by ``python -m crm_data info`` and by the Data page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from crm_data.config import check_connection, mask_url, server_version, statement_failed
from crm_data.demo.truth import GENERATOR_KEY, load_truth
from crm_data.schema import CRM_TABLES
from i18n import N_, _

__all__ = ["DATE_COLUMNS", "DatabaseInfo", "TableInfo", "database_info", "has_crm_tables"]

#: The timestamp(s) whose range describes each table's history; with two columns the first
#: non-null one counts (``activities``: done if done, else due).
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "employees": ("hired_at",),
    "accounts": ("created_at",),
    "contacts": ("created_at",),
    "products": ("launched_at",),
    "campaigns": ("started_at",),
    "campaign_members": ("sent_at",),
    "deals": ("created_at",),
    "deal_stage_history": ("entered_at",),
    "activities": ("done_at", "due_at"),
    "orders": ("ordered_at",),
    "tickets": ("opened_at",),
    "quotas": ("period_start",),
}


@dataclass(frozen=True)
class TableInfo:
    """Row count and date range of one CRM table.

    Attributes
    ----------
    name : str
        Table name.
    rows : int or None
        Number of rows; ``None`` when the table does not exist.
    min_date, max_date : date or None
        Earliest and latest value of ``date_column`` (``datetime`` for timestamp columns);
        ``None`` for an absent or empty table or one without a date column.
    date_column : str or None
        The column the range is taken from (``"done_at or due_at"``: the first non-null one).
    """

    name: str
    rows: int | None
    min_date: date | None = None
    max_date: date | None = None
    date_column: str | None = None

    @property
    def present(self) -> bool:
        """Whether the table exists in the database."""
        return self.rows is not None

    @property
    def status(self) -> str:
        """``absent``, ``empty`` or ``ok``."""
        if self.rows is None:
            return "absent"
        return "empty" if self.rows == 0 else "ok"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; dates as ISO 8601 text."""
        return {
            "name": self.name,
            "present": self.present,
            "rows": self.rows,
            "min_date": _iso(self.min_date),
            "max_date": _iso(self.max_date),
            "date_column": self.date_column,
        }


@dataclass(frozen=True)
class DatabaseInfo:
    """A description of a CRM database, for the CLI and the Data page.

    Attributes
    ----------
    dialect : str
        SQLAlchemy dialect name (``duckdb``, ``sqlite``, ``postgresql``, ``mysql``).
    masked_url : str
        The URL with the password replaced by ``***``.
    server_version : str
        E.g. ``DuckDB v1.4.1`` or ``PostgreSQL 15.19``.
    tables : list of TableInfo
        One entry per table of ``schema.CRM_TABLES``, in load order.
    is_demo : bool
        Whether the demo generator made the data (``demo_truth`` has the ``generator`` key).
    demo : dict
        The parsed ``generator`` document of ``demo_truth`` (empty when not demo data or when
        the document is not a JSON object).
    """

    dialect: str
    masked_url: str
    server_version: str
    tables: list[TableInfo]
    is_demo: bool = False
    demo: dict[str, Any] = field(default_factory=dict)

    @property
    def has_crm_tables(self) -> bool:
        """Whether at least one CRM table exists."""
        return any(t.present for t in self.tables)

    @property
    def total_rows(self) -> int:
        """Rows over all present CRM tables."""
        return sum(t.rows or 0 for t in self.tables)

    @property
    def demo_label(self) -> str:
        """``no``, or ``yes (size S, seed 42, end 2026-06-30, version 1)``."""
        if not self.is_demo:
            return _("no")
        details = ", ".join(
            f"{_(_DEMO_KEYS[k])} {self.demo[k]}" for k in _DEMO_KEYS if k in self.demo
        )
        return _("yes ({details})").format(details=details) if details else _("yes")

    def table(self, name: str) -> TableInfo:
        """The entry of table ``name`` (``KeyError`` if it is not a CRM table)."""
        for entry in self.tables:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``json.dumps(info.to_dict())`` works without ``default=``)."""
        return {
            "dialect": self.dialect,
            "url": self.masked_url,
            "server_version": self.server_version,
            "is_demo": self.is_demo,
            "demo": self.demo,
            "total_rows": self.total_rows,
            "tables": [t.to_dict() for t in self.tables],
        }

    def to_text(self) -> str:
        """A human-readable report with an aligned table, for the terminal."""
        lines = [
            f"Database   {self.dialect}  {self.masked_url}",
            f"Server     {self.server_version}",
            f"Demo data  {self.demo_label}",
            "",
        ]
        header = ("table", "rows", "from", "to", "date column")
        rows = [
            (
                t.name,
                f"{t.rows:,}" if t.present else "absent",
                _day(t.min_date),
                _day(t.max_date),
                t.date_column or "-",
            )
            for t in self.tables
        ]
        rows.append(("total", f"{self.total_rows:,}", "", "", ""))
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        right = {1}  # numbers right-aligned

        def fmt(row: tuple[str, ...]) -> str:
            cells = [
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                for i, cell in enumerate(row)
            ]
            return "  ".join(cells).rstrip()

        lines.append(fmt(header))
        lines.append("  ".join("-" * w for w in widths))
        lines.extend(fmt(r) for r in rows[:-1])
        lines.append("  ".join("-" * w for w in widths))
        lines.append(fmt(rows[-1]))
        if not self.has_crm_tables:
            lines += ["", "No CRM tables yet: run `python -m crm_data seed` to create demo data."]
        return "\n".join(lines)


#: Keys of the generator document shown in the text report.
#: The demo's facts the label names, and their words.
_DEMO_KEYS = {"size": N_("size"), "seed": N_("seed"), "end": N_("end"), "version": N_("version")}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date | None) -> str:
    return value.isoformat()[:10] if value is not None else "-"


def _table_info(conn: Connection, table: sa.Table, columns: set[str]) -> TableInfo:
    """Count rows and the date range of ``table`` in one query."""
    wanted = [c for c in DATE_COLUMNS.get(table.name, ()) if c in columns]
    exprs: list[Any] = [sa.func.count()]
    if wanted:
        cols = [table.c[c] for c in wanted]
        stamp = cols[0] if len(cols) == 1 else sa.func.coalesce(*cols)
        exprs += [sa.func.min(stamp), sa.func.max(stamp)]
    row = conn.execute(sa.select(*exprs).select_from(table)).one()
    return TableInfo(
        name=table.name,
        rows=int(row[0]),
        min_date=row[1] if wanted else None,
        max_date=row[2] if wanted else None,
        date_column=" or ".join(wanted) or None,
    )


def _column_names(conn: Connection, name: str) -> set[str]:
    """Column names of the existing table ``name``, from an empty ``SELECT *``.

    Cheaper and more portable than ``Inspector.get_columns``, which fails on DuckDB 2.0 with
    duckdb-engine 0.17 (it queries ``pg_catalog.pg_collation``).
    """
    query = sa.select(sa.text("*")).select_from(sa.table(name)).limit(0)
    return set(conn.execute(query).keys())


def has_crm_tables(engine: Engine) -> bool:
    """Whether at least one table of ``schema.CRM_TABLES`` exists in the database."""
    existing = set(sa.inspect(engine).get_table_names())
    return any(t.name in existing for t in CRM_TABLES)


def database_info(engine: Engine) -> DatabaseInfo:
    """Describe the CRM database behind ``engine``.

    Raises
    ------
    DatabaseUnavailable
        If the database cannot be reached (``DatabaseLocked`` for a locked DuckDB file).
    """
    check_connection(engine)
    try:
        inspector = sa.inspect(engine)
        existing = set(inspector.get_table_names())
        version = server_version(engine)
        tables: list[TableInfo] = []
        with engine.connect() as conn:
            for table in CRM_TABLES:
                if table.name not in existing:
                    tables.append(TableInfo(name=table.name, rows=None))
                    continue
                tables.append(_table_info(conn, table, _column_names(conn, table.name)))
        generator = load_truth(engine).get(GENERATOR_KEY)
    except sa.exc.DBAPIError as exc:
        raise statement_failed(exc, engine) from None
    return DatabaseInfo(
        dialect=engine.dialect.name,
        masked_url=mask_url(engine.url),
        server_version=version,
        tables=tables,
        is_demo=generator is not None,
        demo=generator if isinstance(generator, dict) else {},
    )
