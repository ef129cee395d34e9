"""One place for how a data column reads on screen: its label and its format.

Reports return frames with plain column names (``account``, ``days_overdue``, ``win_rate``);
:data:`COLUMNS` gives each the label a table shows (and an export writes) and the kind of value
it holds, and :func:`labelled` turns a frame into what ``ui.tables.data_table`` draws: the
columns picked, renamed, and the ``st.column_config`` that formats them.  A page that needs
another word for a column in one table (the deals of a list of *lost* deals) says so with
``labels=``, next to the table.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"account": ["Acme"], "amount": [1200.0], "account_id": [7]})
>>> shown, config = labelled(frame, ["account", "amount", "account_id"], currency="EUR")
>>> list(shown.columns)
['Account', 'Amount', 'Account id']
>>> config["Account id"] is None  # ids: in the export, not on screen
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from ui.format import currency_symbol

__all__ = ["COLUMNS", "Column", "Kind", "column_format", "labelled"]

#: What a column holds, and so how it is formatted: ``text`` as is; ``id`` hidden on screen
#: (kept in exports); ``key`` an id shown without separators; ``count`` a whole number;
#: ``days`` whole days; ``decimal`` one decimal; ``percent`` a share (0.25 -> 25 %);
#: ``money`` an amount in the report's currency; ``date`` a day.
Kind = Literal["text", "id", "key", "count", "days", "decimal", "percent", "money", "date"]


@dataclass(frozen=True)
class Column:
    """How one data column reads: its ``label``, its :data:`Kind` and an optional ``help``."""

    label: str
    kind: Kind = "text"
    help: str | None = None


#: Every column a page shows, by its name in the reports' frames.
COLUMNS: dict[str, Column] = {
    # who and what
    "account": Column("Account"),
    "account_id": Column("Account id", "id"),
    "activity_id": Column("Activity id", "id"),
    "deal": Column("Deal"),
    "deal_id": Column("Deal", "key"),
    "employee": Column("Owner"),
    "employee_id": Column("Employee id", "id"),
    "lost_reason": Column("Lost reason"),
    "name": Column("Rep"),
    "owner": Column("Owner"),
    "product_line": Column("Product line"),
    "region": Column("Region"),
    "stage": Column("Stage"),
    "title": Column("Title"),
    "type": Column("Type"),
    # dates
    "closed_at": Column("Closed", "date"),
    "due_at": Column("Due", "date"),
    "expected_close_at": Column("Expected close", "date"),
    "last_activity_at": Column("Last activity", "date"),
    "last_contact_at": Column("Last contact", "date"),
    "last_contact_before": Column("Last contact before", "date"),
    "last_order_at": Column("Last order", "date"),
    "next_activity_due_at": Column("Next step due", "date"),
    # counts
    "activities": Column("Activities", "count"),
    "clients": Column("Clients", "count"),
    "closed": Column("Closed deals", "count"),
    "deals": Column("Deals", "count"),
    "judged": Column("Follow-ups due", "count"),
    "open_deals": Column("Open deals", "count"),
    "overdue": Column("Overdue", "count"),
    "stuck": Column("Stuck", "count"),
    "visits": Column("Visits", "count"),
    "censored": Column("Still there", "count"),
    "change": Column("Move"),
    "won": Column("Won", "count"),
    "reached": Column("Reached", "count"),
    "lost_here": Column("Lost here", "count", "Lost deals whose last open stage was this one"),
    "working_days": Column("Working days", "count"),
    # days
    "days_in_stage": Column("Days in stage", "days"),
    "days_overdue": Column("Days overdue", "days"),
    "days_silent": Column("Days silent", "days"),
    "days_since_contact": Column("Days since contact", "days"),
    "days_since_order": Column("Days since order", "days", "Whole days"),
    "limit_days": Column("Limit (days)", "decimal"),
    "median": Column("Median days", "decimal"),
    "median_age_days": Column("Median age (days)", "decimal"),
    "median_days_in_stage": Column("Median days in stage", "decimal"),
    "median_gap_days": Column("Usual gap (days)", "days", "Whole days"),
    "p75": Column("75th pct", "decimal"),
    "p90": Column("90th pct", "decimal"),
    # rates and ratios
    "amount_share": Column("Amount share", "percent"),
    "compliance": Column("Done on time", "percent"),
    "coverage": Column("With a next step", "percent"),
    "no_reason_share": Column("No reason given", "percent"),
    "overdue_by": Column("× usual gap", "decimal"),
    "per_working_day": Column("Per working day", "decimal"),
    "share": Column("Share", "percent"),
    "stuck_share": Column("Stuck share", "percent"),
    "top_share": Column("Main reason share", "percent"),
    "value_win_rate": Column("Value win rate", "percent"),
    "win_rate": Column("Win rate", "percent"),
    "next_conversion": Column("Next step", "percent", "Share that reached the next step"),
    "cumulative_conversion": Column("From first", "percent", "Share of the first stage's deals"),
    "pct_still_open": Column("Still open", "percent", "Share still open at the period end"),
    # money
    "amount": Column("Amount", "money"),
    "per_day": Column("Velocity per day", "money"),
    "revenue": Column("Lifetime revenue", "money"),
    "won_amount": Column("Won amount", "money"),
    "reached_amount": Column("Amount", "money", "Amount of the deals that reached it"),
    # flags and words
    "action": Column("Suggested action"),
    "contacted": Column("Contacted"),
    "ordered": Column("Ordered"),
    "reasons": Column("Why"),
    "step": Column("Step"),
    "top_reason": Column("Main reason"),
}


def column_format(kind: Kind, currency: str | None = None, help: str | None = None) -> Any:
    """The ``st.column_config`` entry that shows a column of ``kind`` (``None`` hides it).

    Parameters
    ----------
    kind : Kind
        What the column holds (see :data:`Kind`).
    currency : str, optional
        ISO code of the amounts (``money`` columns), e.g. ``"EUR"``.
    help : str, optional
        The column's tooltip.

    Returns
    -------
    object or None
        A column config, or None for an ``id`` column (not shown, still exported).
    """
    number = st.column_config.NumberColumn
    formats: dict[str, Any] = {
        "text": lambda: st.column_config.TextColumn(help=help),  # (labelled leaves text as is)
        "id": lambda: None,
        "key": lambda: number(format="%d", help=help),
        "count": lambda: number(format="%d", help=help),
        "days": lambda: number(format="%d", help=help),
        "decimal": lambda: number(format="%.1f", help=help),
        "percent": lambda: number(format="percent", help=help),
        "money": lambda: number(format=f"{currency_symbol(currency)}%,.0f", help=help),
        "date": lambda: st.column_config.DateColumn(format="YYYY-MM-DD", help=help),
    }
    if kind not in formats:
        raise ValueError(f"Unknown column kind {kind!r}; expected one of {sorted(formats)}.")
    return formats[kind]()


def labelled(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    currency: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``frame``'s ``columns`` (default: all, in order) under their labels, and their formats.

    Parameters
    ----------
    frame : DataFrame
        A report's frame with plain column names.
    columns : sequence of str, optional
        The columns to show, in this order.
    currency : str, optional
        ISO code of the ``money`` columns.
    labels : mapping, optional
        Another label for some columns in this one table (column name -> label); a column
        named only here (a grouping picked by the user) is text.

    Returns
    -------
    (DataFrame, dict)
        The frame to show, and the ``column_config`` for ``ui.tables.data_table``.

    Raises
    ------
    KeyError
        When a column has no entry in :data:`COLUMNS` (add one there: every label lives in
        one place).
    """
    names = list(frame.columns if columns is None else columns)
    overrides = dict(labels or {})
    unknown = [name for name in names if name not in COLUMNS and name not in overrides]
    if unknown:
        raise KeyError(f"No label for the columns {unknown}: add them to ui.labels.COLUMNS.")
    known = {name: COLUMNS.get(name, Column(overrides.get(name, name))) for name in names}
    shown = {name: overrides.get(name, column.label) for name, column in known.items()}
    config = {  # text is shown as it is
        shown[name]: column_format(column.kind, currency, column.help)
        for name, column in known.items()
        if column.kind != "text"
    }
    return frame[names].rename(columns=shown), config
