"""Data-quality checks for the Data page (UNSCOPED: admins and analysts only).

Each check is one SELECT of the offending rows, run twice: once counted in SQL and once with a
LIMIT for a few examples.  Checks spanning several tables or columns (future dates, orphans)
are a UNION ALL of one part per table/column with the common columns ``table, id, column,
value``; a part runs only when all its tables exist, and a check none of whose parts can run
reports ``count=None`` (status ``missing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa

from crm_data.queries.frames import Bind, Kind, connect, empty_frame, read_frame
from crm_data.schema import Base
from i18n import _
from i18n.formatting import format_day

__all__ = ["QualityCheck", "run_quality_checks"]

Status = Literal["ok", "warning", "missing"]

_T: Mapping[str, sa.Table] = Base.metadata.tables


@dataclass(frozen=True)
class QualityCheck:
    """The result of one data-quality check.

    Attributes
    ----------
    key : str
        Stable identifier (e.g. ``orphans``).
    title, description, fix : str
        What is checked, why it matters, and what to do about it.
    table : str
        The table(s) the check reads, comma-separated.
    count : int or None
        Number of offending rows; ``None`` when the table(s) needed are missing.
    examples : DataFrame
        Up to ``examples`` offending rows: an id and the relevant columns.
    """

    key: str
    title: str
    table: str
    description: str
    fix: str
    count: int | None
    examples: pd.DataFrame

    @property
    def status(self) -> Status:
        """``missing`` (tables absent), ``ok`` (no offending row) or ``warning``."""
        if self.count is None:
            return "missing"
        return "ok" if self.count == 0 else "warning"


@dataclass(frozen=True)
class _Part:
    """One SELECT of offending rows and the tables it needs."""

    tables: tuple[str, ...]
    select: sa.Select[Any]


@dataclass(frozen=True)
class _Spec:
    key: str
    title: str
    description: str
    fix: str
    parts: tuple[_Part, ...]
    kinds: dict[str, Kind]

    @property
    def table(self) -> str:
        """The tables the parts read, in order of first use."""
        return ", ".join(dict.fromkeys(t for p in self.parts for t in p.tables))


def _text(value: str) -> Any:
    """A string constant typed as text (so UNION branches agree on every dialect)."""
    return sa.cast(sa.literal(value), sa.String(50))


def _deal_spec(
    key: str, title: str, description: str, fix: str, *where: Any, needs: tuple[str, ...] = ()
) -> _Spec:
    """A check of deal rows (id, status, stage id, created_at, closed_at) matching ``where``.

    ``needs`` names the other tables ``where`` reads.
    """
    deals = _T["deals"]
    select = sa.select(
        deals.c.id, deals.c.status, deals.c.stage_id, deals.c.created_at, deals.c.closed_at
    ).where(*where)
    kinds: dict[str, Kind] = {
        "id": "int",
        "status": "str",
        "stage_id": "Int",
        "created_at": "datetime",
        "closed_at": "datetime",
    }
    return _Spec(key, title, description, fix, (_Part(("deals", *needs), select),), kinds)


def _deals_without_history() -> _Spec:
    deals, history = _T["deals"], _T["deal_stage_history"]
    return _deal_spec(
        "deals_without_history",
        _("Deals without stage history"),
        _(
            "Deals with no deal_stage_history row are left out of pipeline snapshots, funnels "
            "and time-in-stage statistics."
        ),
        _(
            "Write a history row when a deal is created (its first stage) and on every stage "
            "change; backfill one row per deal from created_at and the current stage."
        ),
        sa.not_(sa.exists().where(history.c.deal_id == deals.c.id)),
        needs=("deal_stage_history",),
    )


def _activities_without_owner() -> _Spec:
    act = _T["activities"]
    select = sa.select(act.c.id, act.c.type, act.c.status, act.c.due_at, act.c.done_at).where(
        act.c.employee_id.is_(None)
    )
    return _Spec(
        "activities_without_owner",
        _("Activities without an employee"),
        _("Activities with no employee_id count for nobody in the activity KPIs and scorecards."),
        _("Set employee_id to the person who did (or must do) the activity."),
        (_Part(("activities",), select),),
        {
            "id": "int",
            "type": "str",
            "status": "str",
            "due_at": "datetime",
            "done_at": "datetime",
        },
    )


def _future_part(table: str, column: str, now: datetime) -> _Part:
    t = _T[table]
    select = sa.select(
        _text(table).label("table"),
        t.c.id,
        _text(column).label("column"),
        t.c[column].label("value"),
    ).where(t.c[column] > now)
    return _Part((table,), select)


#: Timestamps that record something that happened, so cannot lie in the future.
_EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("deals", "created_at"),
    ("deals", "closed_at"),
    ("deal_stage_history", "entered_at"),
    ("activities", "done_at"),
    ("orders", "ordered_at"),
    ("tickets", "opened_at"),
)


def _future_dates(now: datetime) -> _Spec:
    return _Spec(
        "future_dates",
        _("Dates in the future"),
        _(
            "Events dated after {moment} (creation, close, stage change, done activity, order, "
            "ticket) distort every period and as-of metric.  Planned due dates and expected "
            "close dates may lie in the future and are not checked."
        ).format(moment=f"{format_day(now)} {now:%H:%M}"),
        _("Correct the timestamps (often a time-zone or day/month mix-up in an import)."),
        tuple(_future_part(t, c, now) for t, c in _EVENT_COLUMNS),
        {"table": "str", "id": "int", "column": "str", "value": "datetime"},
    )


def _orphan_part(table: str, column: str, parent: str) -> _Part:
    child, target = _T[table], _T[parent]
    ref = child.c[column]
    # an anti-join spelled as LEFT JOIN ... IS NULL: 3x faster than NOT EXISTS on DuckDB
    select = (
        sa.select(
            _text(table).label("table"),
            child.c.id,
            _text(column).label("column"),
            ref.label("missing_id"),
        )
        .select_from(child.outerjoin(target, target.c.id == ref))
        .where(ref.is_not(None), target.c.id.is_(None))
    )
    return _Part((table, parent), select)


#: (table, column, parent table) of every reference the reports follow.
_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("deals", "account_id", "accounts"),
    ("deals", "owner_id", "employees"),
    ("deals", "stage_id", "stages"),
    ("deal_stage_history", "deal_id", "deals"),
    ("deal_stage_history", "stage_id", "stages"),
    ("activities", "deal_id", "deals"),
    ("activities", "account_id", "accounts"),
    ("orders", "account_id", "accounts"),
    ("order_items", "order_id", "orders"),
    ("order_items", "product_id", "products"),
    ("tickets", "account_id", "accounts"),
    ("contacts", "account_id", "accounts"),
)


def _orphans() -> _Spec:
    return _Spec(
        "orphans",
        _("References to missing rows"),
        _(
            "Rows pointing at an account, employee, deal, stage, order or product that does not "
            "exist are dropped by joins and make totals disagree between pages."
        ),
        _(
            "Restore the missing parent rows or correct the references; declare foreign keys "
            "where the database allows it."
        ),
        tuple(_orphan_part(t, c, p) for t, c, p in _REFERENCES),
        {"table": "str", "id": "int", "column": "str", "missing_id": "int"},
    )


def _status_stage_mismatch() -> _Spec:
    deals, stages = _T["deals"], _T["stages"]
    terminal = sa.or_(stages.c.is_won == sa.true(), stages.c.is_lost == sa.true())
    mismatch = sa.or_(
        sa.and_(deals.c.status == "won", stages.c.is_won == sa.false()),
        sa.and_(deals.c.status == "lost", stages.c.is_lost == sa.false()),
        sa.and_(deals.c.status == "open", terminal),
    )
    select = (
        sa.select(deals.c.id, deals.c.status, deals.c.stage_id, stages.c.name.label("stage"))
        .select_from(deals.join(stages, stages.c.id == deals.c.stage_id))
        .where(mismatch)
    )
    return _Spec(
        "status_stage_mismatch",
        _("Status and stage disagree"),
        _(
            "Won deals not in a won stage, lost deals not in a lost stage, or open deals in a "
            "terminal stage: funnels and pipeline disagree with win rates."
        ),
        _("Move the deal to the stage matching its status (or fix the status)."),
        (_Part(("deals", "stages"), select),),
        {"id": "int", "status": "str", "stage_id": "int", "stage": "str"},
    )


def _specs(now: datetime) -> list[_Spec]:
    deals = _T["deals"].c
    closed = deals.status.in_(("won", "lost"))
    return [
        _deals_without_history(),
        _activities_without_owner(),
        _deal_spec(
            "lost_without_reason",
            _("Lost deals without a reason"),
            _(
                "Lost deals with no lost_reason_id show up as 'no reason given' in the "
                "lost-reason analysis."
            ),
            _("Make the lost reason mandatory when a deal is lost; fill it in for these deals."),
            deals.status == "lost",
            deals.lost_reason_id.is_(None),
        ),
        _future_dates(now),
        _orphans(),
        _deal_spec(
            "closed_without_date",
            _("Status and close date disagree"),
            _(
                "Won or lost deals without closed_at drop out of win rates and cycles; open "
                "deals with closed_at vanish from the pipeline."
            ),
            _("Set closed_at when a deal is won or lost, and clear it when a deal is reopened."),
            sa.or_(
                sa.and_(closed, deals.closed_at.is_(None)),
                sa.and_(deals.status == "open", deals.closed_at.is_not(None)),
            ),
        ),
        _deal_spec(
            "closed_before_created",
            _("Closed before created"),
            _("Deals with closed_at before created_at have negative sales cycles."),
            _("Correct created_at or closed_at."),
            deals.closed_at < deals.created_at,
        ),
        _status_stage_mismatch(),
    ]


def _offending(spec: _Spec, existing: set[str]) -> sa.Subquery | None:
    """The offending rows of the parts whose tables exist, numbered by part (None if none)."""
    parts = [
        p.select.add_columns(sa.literal_column(str(i), sa.Integer).label("part"))
        for i, p in enumerate(spec.parts)
        if set(p.tables) <= existing
    ]
    if not parts:
        return None
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("offending")


def _run(conn: sa.Connection, spec: _Spec, existing: set[str], examples: int) -> QualityCheck:
    rows = _offending(spec, existing)
    count: int | None = None
    found = empty_frame(spec.kinds)
    if rows is not None:
        count = int(conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one())
        if count:
            stmt = sa.select(rows).order_by(rows.c.part, rows.c.id).limit(examples)
            found = read_frame(conn, stmt, spec.kinds)
    return QualityCheck(
        key=spec.key,
        title=spec.title,
        table=spec.table,
        description=spec.description,
        fix=spec.fix,
        count=count,
        examples=found,
    )


def run_quality_checks(bind: Bind, now: datetime, examples: int = 5) -> list[QualityCheck]:
    """Run every data-quality check over the whole database (no scope: admins only).

    Checks, in order: ``deals_without_history``, ``activities_without_owner``,
    ``lost_without_reason`` (the "no reason given" data-quality KPI of METRICS.md **Lost
    reasons**), ``future_dates`` (event timestamps after ``now``),
    ``orphans`` (references to missing parent rows), ``closed_without_date`` (won/lost
    without ``closed_at``, or open with it), ``closed_before_created`` and
    ``status_stage_mismatch`` (status vs. the current stage's won/lost flags).

    Parameters
    ----------
    bind : Engine or Connection
        The database.
    now : datetime
        The moment after which an event timestamp counts as "in the future" (passed in:
        nothing reads the clock).
    examples : int
        Maximum number of example rows per check.

    Returns
    -------
    list of QualityCheck
        One per check; ``count`` is None when the tables it needs are missing.
    """
    with connect(bind) as conn:
        existing = set(sa.inspect(conn).get_table_names())
        return [_run(conn, spec, existing, examples) for spec in _specs(now)]
