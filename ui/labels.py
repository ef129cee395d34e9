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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from i18n import N_, _, current_language
from i18n.formatting import (
    date_pattern,
    format_count,
    format_money,
    format_number,
    format_percent,
)
from ui.format import money_pattern

__all__ = ["COLUMNS", "Column", "Kind", "TableConfig", "cell_text", "column_format", "labelled"]

#: What a column holds, and so how it is formatted: ``text`` as is; ``id`` hidden on screen
#: (kept in exports); ``key`` an id shown without separators; ``count`` a whole number;
#: ``days`` whole days; ``decimal`` one decimal; ``percent`` a share (0.25 -> 25 %);
#: ``money`` an amount in the report's currency; ``date`` a day.
Kind = Literal["text", "id", "key", "count", "days", "decimal", "percent", "money", "date"]


@dataclass(frozen=True)
class Column:
    """How one data column reads: its ``label``, its :data:`Kind` and an optional ``help``
    (English, marked for the catalogue; :func:`labelled` translates them).
    """

    label: str
    kind: Kind = "text"
    help: str | None = None


#: Every column a page shows, by its name in the reports' frames.
COLUMNS: dict[str, Column] = {
    # who and what
    "account": Column(N_("Account")),
    "account_id": Column(N_("Account id"), "id"),
    "activity_id": Column(N_("Activity id"), "id"),
    "deal": Column(N_("Deal")),
    "deal_id": Column(N_("Deal"), "key"),
    "employee": Column(N_("Owner")),
    "employee_id": Column(N_("Employee id"), "id"),
    "lost_reason": Column(N_("Lost reason")),
    "name": Column(N_("Rep")),
    "owner": Column(N_("Owner")),
    "product_line": Column(N_("Product line")),
    "region": Column(N_("Region")),
    "stage": Column(N_("Stage")),
    "title": Column(N_("Title")),
    "type": Column(N_("Type")),
    # dates
    "closed_at": Column(N_("Closed"), "date"),
    "due_at": Column(N_("Due"), "date"),
    "expected_close_at": Column(N_("Expected close"), "date"),
    "last_activity_at": Column(N_("Last activity"), "date"),
    "last_contact_at": Column(N_("Last contact"), "date"),
    "last_contact_before": Column(N_("Last contact before"), "date"),
    "last_order_at": Column(N_("Last order"), "date"),
    "next_activity_due_at": Column(N_("Next step due"), "date"),
    # counts
    "activities": Column(N_("Activities"), "count"),
    "clients": Column(N_("Clients"), "count"),
    "closed": Column(N_("Closed deals"), "count"),
    "deals": Column(N_("Deals"), "count"),
    "judged": Column(N_("Follow-ups due"), "count"),
    "open_deals": Column(N_("Open deals"), "count"),
    "overdue": Column(N_("Overdue"), "count"),
    "stuck": Column(N_("Stuck"), "count"),
    "visits": Column(N_("Visits"), "count"),
    "censored": Column(N_("Still there"), "count"),
    "change": Column(N_("Move")),
    "won": Column(N_("Won"), "count"),
    "reached": Column(N_("Reached"), "count"),
    "lost_here": Column(
        N_("Lost here"), "count", N_("Lost deals whose last open stage was this one")
    ),
    "working_days": Column(N_("Working days"), "count"),
    # days
    "days_in_stage": Column(N_("Days in stage"), "days"),
    "days_overdue": Column(N_("Days overdue"), "days"),
    "days_silent": Column(N_("Days silent"), "days"),
    "days_since_contact": Column(N_("Days since contact"), "days"),
    "days_since_order": Column(N_("Days since order"), "days", N_("Whole days")),
    "limit_days": Column(N_("Limit (days)"), "decimal"),
    "median": Column(N_("Median days"), "decimal"),
    "median_age_days": Column(N_("Median age (days)"), "decimal"),
    "median_days_in_stage": Column(N_("Median days in stage"), "decimal"),
    "median_gap_days": Column(N_("Usual gap (days)"), "days", N_("Whole days")),
    "p75": Column(N_("75th pct"), "decimal"),
    "p90": Column(N_("90th pct"), "decimal"),
    # rates and ratios
    "amount_share": Column(N_("Amount share"), "percent"),
    "attainment": Column(N_("Attainment"), "percent", N_("Won revenue ÷ quota")),
    "compliance": Column(N_("Done on time"), "percent"),
    "coverage": Column(N_("With a next step"), "percent"),
    "no_reason_share": Column(N_("No reason given"), "percent"),
    "overdue_by": Column(N_("× usual gap"), "decimal"),
    "per_won_deal": Column(N_("Per won deal"), "decimal", N_("Activities done ÷ deals won")),
    "per_working_day": Column(N_("Per working day"), "decimal"),
    "share": Column(N_("Share"), "percent"),
    "stuck_share": Column(N_("Stuck share"), "percent"),
    "top_share": Column(N_("Main reason share"), "percent"),
    "value_win_rate": Column(N_("Value win rate"), "percent"),
    "win_rate": Column(N_("Win rate"), "percent"),
    "next_conversion": Column(N_("Next step"), "percent", N_("Share that reached the next step")),
    "cumulative_conversion": Column(
        N_("From first"), "percent", N_("Share of the first stage's deals")
    ),
    "pct_still_open": Column(N_("Still open"), "percent", N_("Share still open at the period end")),
    # money
    "amount": Column(N_("Amount"), "money"),
    "per_day": Column(N_("Velocity per day"), "money"),
    "revenue": Column(N_("Lifetime revenue"), "money"),
    "won_amount": Column(N_("Won amount"), "money"),
    "average_won_amount": Column(N_("Average won deal"), "money"),
    "quota": Column(N_("Quota"), "money", N_("Σ of the quotas whose period lies inside this one")),
    "gap": Column(N_("Still to win"), "money", N_("Quota − won, when the quota is not met")),
    "reached_amount": Column(N_("Amount"), "money", N_("Amount of the deals that reached it")),
    # flags and words
    "action": Column(N_("Suggested action")),
    "contacted": Column(N_("Contacted")),
    "ordered": Column(N_("Ordered")),
    "reasons": Column(N_("Why")),
    "step": Column(N_("Step")),
    "top_reason": Column(N_("Main reason")),
    # customers and segments
    "industry": Column(N_("Industry")),
    "size_band": Column(N_("Size band")),
    "source": Column(N_("Source")),
    "kind": Column(N_("Kind")),
    "gender": Column(N_("Gender")),
    "age_band": Column(N_("Age band")),
    "income_band": Column(N_("Income band")),
    "segment": Column(N_("RFM segment")),
    "abc_class": Column(
        N_("ABC class"),
        "text",
        N_("A: the top customers making 80 % of revenue, B: the next 15 %, C: the rest"),
    ),
    "cluster": Column(N_("Cluster"), "key"),
    "customers": Column(N_("Customers"), "count"),
    "orders": Column(N_("Orders"), "count"),
    "frequency": Column(N_("Order days"), "count", N_("Days with an order (F of RFM)")),
    "recency_days": Column(N_("Days since last order"), "days", N_("Whole days (R of RFM)")),
    "median_recency_days": Column(N_("Median days since order"), "decimal"),
    "r_score": Column(N_("R"), "count", N_("Recency score, 5 = most recent")),
    "f_score": Column(N_("F"), "count", N_("Frequency score, 5 = most order days")),
    "m_score": Column(N_("M"), "count", N_("Monetary score, 5 = most revenue per order day")),
    "customer_share": Column(N_("Share of customers"), "percent"),
    "revenue_share": Column(N_("Share of revenue"), "percent"),
    "orders_per_customer": Column(N_("Orders per customer"), "decimal"),
    "monetary": Column(N_("Revenue per order day"), "money", N_("M of RFM")),
    "revenue_per_customer": Column(N_("Revenue per customer"), "money"),
    "average_order": Column(N_("Average order"), "money"),
    "clv": Column(
        N_("CLV, 12 months"),
        "money",
        N_("Expected revenue of the next 12 months, discounted 1% a month"),
    ),
    "p_alive": Column(N_("P(active)"), "percent", N_("Probability the customer still buys")),
    "churn_risk": Column(N_("Churn risk"), "percent", N_("1 − P(active), modified BG/NBD")),
    "expected_purchases": Column(N_("Expected orders, 12 months"), "decimal"),
    "expected_value": Column(N_("Expected order value"), "money"),
    # campaigns and service (the Campaigns & Service page)
    "campaigns": Column(N_("Campaigns"), "count"),
    "members": Column(N_("Members"), "count"),
    "responded": Column(N_("Responses"), "count"),
    "response_rate": Column(N_("Response rate"), "percent"),
    "converted": Column(N_("Converted"), "count", N_("Members with a deal that followed")),
    "conversion_rate": Column(N_("Conversion"), "percent"),
    "budget_share": Column(
        N_("Budget"),
        "money",
        N_("The budget × the share of the members you see (all of it when you see every member)"),
    ),
    "roi": Column(N_("ROI, × budget"), "decimal", N_("(Attributed revenue − budget) ÷ budget")),
    "tickets": Column(N_("Tickets"), "count"),
    "median_first_response_hours": Column(N_("Median first response (h)"), "decimal"),
    "median_resolution_hours": Column(N_("Median resolution (h)"), "decimal"),
    "target_hours": Column(N_("First-response target (h)"), "decimal"),
    "breached": Column(N_("SLA breached"), "count"),
    "breach_share": Column(N_("SLA breach share"), "percent", N_("Breached ÷ judged")),
    "resolved": Column(N_("Tickets resolved"), "count"),
    "rated": Column(N_("Rated"), "count"),
    "csat": Column(N_("Satisfaction (1–5)"), "decimal"),
    "complaints": Column(N_("Complaints"), "count"),
    "last_complaint_at": Column(N_("Last complaint"), "date"),
    "lapsed": Column(N_("Lapsed"), "count"),
    "lapse_share": Column(N_("Lapsed share"), "percent"),
    # one customer (the Customers page)
    "days_since_purchase": Column(N_("Days since purchase"), "days"),
    "usual_gap_days": Column(
        N_("Usual gap, days"), "days", N_("Median days between the customer's orders")
    ),
    "overdue_activities": Column(N_("Overdue activities"), "count"),
    "latest_overdue_days": Column(N_("Days since the latest was due"), "days"),
    "open_complaints": Column(N_("Open complaints"), "count"),
    "oldest_complaint_days": Column(N_("Oldest complaint, days"), "days"),
    "days_since_first_purchase": Column(N_("Customer for, days"), "days"),
    "ordered_at": Column(N_("Order date"), "date"),
    "order_id": Column(N_("Order"), "key"),
    "campaign_id": Column(N_("Campaign id"), "id"),
    "items": Column(N_("Lines"), "count"),
    "channel": Column(N_("Channel")),
    "payment_method": Column(N_("Payment method")),
    "status": Column(N_("Status")),
    "created_at": Column(N_("Created"), "date"),
    "stage_entered_at": Column(N_("In stage since"), "date"),
    "at": Column(N_("When"), "date"),
    "event": Column(N_("Event")),
    "subject": Column(N_("What")),
    "outcome": Column(N_("Outcome")),
    "duration_min": Column(N_("Minutes"), "decimal"),
    "ticket_id": Column(N_("Ticket"), "key"),
    "category": Column(N_("Category")),
    "priority": Column(N_("Priority")),
    "opened_at": Column(N_("Opened"), "date"),
    "first_response_at": Column(N_("First response"), "date"),
    "resolved_at": Column(N_("Resolved"), "date"),
    "satisfaction": Column(N_("Satisfaction, 1–5"), "count"),
    "assignee": Column(N_("Assignee")),
    "campaign": Column(N_("Campaign")),
    "sent_at": Column(N_("Sent"), "date"),
    "responded_at": Column(N_("Responded"), "date"),
    "response": Column(N_("Response")),
    # forecasts (the Forecast page)
    "model": Column(N_("Model")),
    "mase": Column(
        N_("MASE"),
        "decimal",
        N_("Mean absolute error ÷ the in-sample seasonal-naive one; below 1 beats it"),
    ),
    "smape": Column(
        N_("sMAPE, %"), "decimal", N_("Mean of 200 × |actual − forecast| ÷ (|actual| + |forecast|)")
    ),
    "mae": Column(N_("Mean absolute error"), "money"),
    "skill": Column(
        N_("Skill vs seasonal naive"), "percent", N_("1 − its error ÷ seasonal naive's")
    ),
    "origins": Column(N_("Origins"), "count", N_("Forecasts made in the backtest")),
    "fallbacks": Column(N_("Fallbacks"), "count", N_("Forecasts the guards set aside")),
    "month": Column(N_("Month"), "date"),
    "expected": Column(N_("Expected"), "money"),
    "low": Column(N_("Low (5%)"), "money"),
    "high": Column(N_("High (95%)"), "money"),
    "rollup_amount": Column(N_("Cumulative amount"), "money"),
    "rollup_expected": Column(N_("Cumulative expected"), "money"),
    "p_win": Column(N_("P(win)"), "percent"),
    "p_close": Column(N_("P(close in the horizon)"), "percent"),
    "quarter": Column(N_("Quarter"), "date"),
    "made_on": Column(N_("Made on"), "date"),
    "method": Column(N_("Method")),
    "forecast": Column(N_("Forecast"), "money"),
    "actual": Column(N_("Actual"), "money"),
    "error_share": Column(N_("Error"), "percent", N_("(Forecast − actual) ÷ actual")),
    "hit": Column(N_("Within 10%")),
    "won_so_far": Column(N_("Won so far"), "money"),
    "time_series": Column(N_("Time series (rest)"), "money"),
    "pipeline": Column(N_("Pipeline (rest)"), "money"),
    "combined": Column(N_("Combined (rest)"), "money"),
    "month_forecast": Column(N_("Month forecast"), "money", N_("Won so far + combined")),
    "team": Column(N_("Team")),
    "plan": Column(N_("Plan"), "money", N_("The quotas of the quarter")),
    "gap_to_plan": Column(N_("Gap to plan"), "money", N_("Plan − forecast")),
    "forecast_share": Column(N_("Forecast ÷ plan"), "percent"),
    # demand forecast
    "price_segment": Column(
        N_("Price segment"), "text", N_("Thirds of the catalogue by list price")
    ),
    "naive_mase": Column(
        N_("MASE of seasonal naive"), "decimal", N_("The benchmark's MASE in the same backtest")
    ),
    "next_quarter": Column(
        N_("Next quarter"), "money", N_("The calendar quarter after the running month's")
    ),
    "next_quarter_low": Column(N_("Next quarter, low (5%)"), "money"),
    "next_quarter_high": Column(N_("Next quarter, high (95%)"), "money"),
    "next_6_months": Column(
        N_("Next 6 months"), "money", N_("The running month, whole, and the 5 after it")
    ),
    "next_6_months_low": Column(N_("Next 6 months, low (5%)"), "money"),
    "next_6_months_high": Column(N_("Next 6 months, high (95%)"), "money"),
    "last_12_months": Column(
        N_("Last 12 months"), "money", N_("The 12 complete months before the running one")
    ),
    "yoy_change": Column(
        N_("Change on a year before"), "percent", N_("Last 12 months ÷ the 12 before − 1")
    ),
    "history_months": Column(N_("Months of history"), "count"),
    # imports (the Data page)
    "imported": Column(N_("Imported (UTC)")),
    "file_name": Column(N_("File")),
    "mapping_name": Column(N_("Mapping")),
    "rows_added": Column(N_("Added"), "count"),
    "rows_updated": Column(N_("Updated"), "count"),
    "rows_rejected": Column(N_("Rejected"), "count"),
    "user_email": Column(N_("By")),
    "message": Column(N_("Message")),
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
        "money": lambda: number(format=money_pattern(currency), help=help),
        "date": lambda: st.column_config.DateColumn(format=date_pattern(), help=help),
    }
    if kind not in formats:
        raise ValueError(f"Unknown column kind {kind!r}; expected one of {sorted(formats)}.")
    return formats[kind]()


class TableConfig(dict[str, Any]):
    """A ``column_config`` (column label -> config) and, outside English, ``cells``: how
    ``ui.tables.data_table`` writes the numbers of each number column.

    Streamlit's number formats write ``1,234`` whatever the language (a Russian reader takes
    ``2,722`` for two point seven); a table formatted through a pandas ``Styler`` shows Babel's
    text and still sorts by the numbers.
    """

    def __init__(self, columns: Mapping[str, Any], cells: Mapping[str, Callable[[Any], str]]):
        super().__init__(columns)
        self.cells = dict(cells)


def cell_text(kind: Kind, currency: str | None = None) -> Callable[[Any], str] | None:
    """How a cell of a number column of ``kind`` reads in the language in force (Babel), or
    ``None`` where Streamlit's own format is right (English, text, ids, dates).

    Examples
    --------
    >>> from i18n import use_language
    >>> with use_language("ru"):
    ...     cell_text("decimal")(2.54), cell_text("money", "USD")(7.0).split()
    ('2,5', ['7', '$'])
    >>> cell_text("money", "USD") is None  # English: Streamlit's "$%,.0f"
    True
    """
    if current_language() == "en":
        return None
    texts: dict[str, Callable[[Any], str]] = {
        "count": format_count,
        "days": format_count,
        "decimal": lambda value: format_number(value, 1),
        "percent": format_percent,
        "money": lambda value: format_money(value, currency),
    }
    return texts.get(kind)


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
        Another label for some columns in this one table (column name -> label, translated
        by the caller); a column
        named only here (a grouping picked by the user) is text.

    Returns
    -------
    (DataFrame, TableConfig)
        The frame to show, and the ``column_config`` (with, outside English, the text of the
        number cells) for ``ui.tables.data_table``.

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
    shown = {name: overrides.get(name) or _(column.label) for name, column in known.items()}
    config: dict[str, Any] = {}
    cells: dict[str, Callable[[Any], str]] = {}
    for name, column in known.items():
        if column.kind == "text":  # text is shown as it is
            continue
        help = column.help and _(column.help)
        text = cell_text(column.kind, currency)
        if text is None:
            config[shown[name]] = column_format(column.kind, currency, help)
        else:  # the Styler writes the number; the column stays a number column
            config[shown[name]] = st.column_config.NumberColumn(help=help)
            cells[shown[name]] = text
    return frame[names].rename(columns=shown), TableConfig(config, cells)
