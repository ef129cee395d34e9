"""Cached :func:`crm_data.info.database_info` and its table for the Data page."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from access.roles import sees_connection_details
from crm_data.info import DatabaseInfo, database_info, has_crm_tables
from crm_data.quality import QualityCheck, run_quality_checks
from i18n import N_, _, current_language
from ui.empty import empty_state
from ui.engine import data_version
from ui.registry import page_link

__all__ = [
    "TABLE_COLUMNS",
    "crm_tables_present",
    "info_frame",
    "load_database_info",
    "load_quality_checks",
    "no_crm_tables",
    "quality_frame",
]

#: Column labels of :func:`info_frame` (English, marked; the frame carries them translated).
TABLE_COLUMNS = (
    N_("Table"),
    N_("Status"),
    N_("Rows"),
    N_("First date"),
    N_("Last date"),
    N_("Date column"),
)

#: A table's status (``crm_data.info.TableInfo.status``) in words.
_TABLE_STATUS = {"ok": N_("ok"), "empty": N_("empty"), "absent": N_("absent")}


@st.cache_data(ttl="5m", max_entries=8, show_spinner=False)
def _cached_info(url: str, version: int, _engine: Engine) -> DatabaseInfo:
    return database_info(_engine)


def load_database_info(engine: Engine) -> DatabaseInfo:
    """:func:`~crm_data.info.database_info`, cached for 5 minutes per (URL, data version)."""
    url = engine.url.render_as_string(hide_password=False)
    with st.spinner(_("Counting rows…")):
        return _cached_info(url, data_version(), engine)


@st.cache_data(ttl="5m", max_entries=8, show_spinner=False)
def _cached_has_tables(url: str, version: int, _engine: Engine) -> bool:
    return has_crm_tables(_engine)


def crm_tables_present(engine: Engine) -> bool:
    """Whether the database has the CRM tables (cached per URL and data version)."""
    return _cached_has_tables(
        engine.url.render_as_string(hide_password=False), data_version(), engine
    )


def no_crm_tables(role: str) -> None:
    """The empty state of a page on a database without CRM tables: what to do about it for
    the roles that look after the data (:func:`access.roles.sees_connection_details`), whom to
    ask for the others (the configuration is none of their business).
    """
    if not sees_connection_details(role):
        empty_state(_("There is no CRM data yet."), _("Ask your administrator to load it."))
        return
    empty_state(
        _("This database has no CRM tables yet."),
        _(
            "Seed the demo company on the Data page, or point CRM_DATABASE_URL at a database "
            "with the CRM schema."
        ),
    )
    page_link("data", role, label=_("Open the Data page"))


def info_frame(info: DatabaseInfo) -> pd.DataFrame:
    """One row per CRM table: status (ok/empty/absent), rows and date range.

    ``Rows`` is a nullable integer (missing for absent tables); the dates are timestamps
    (missing where the table has no rows or no date column).
    """
    rows = [
        {
            "Table": t.name,
            "Status": _(_TABLE_STATUS[t.status]),
            "Rows": t.rows,
            "First date": t.min_date,
            "Last date": t.max_date,
            "Date column": t.date_column or "",
        }
        for t in info.tables
    ]
    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    frame["Rows"] = frame["Rows"].astype("Int64")
    for column in ("First date", "Last date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.rename(columns={column: _(column) for column in TABLE_COLUMNS})


@st.cache_data(ttl="5m", max_entries=8, show_spinner=False)
def _cached_checks(
    url: str, version: int, now: datetime, language: str, _engine: Engine
) -> list[QualityCheck]:
    """The checks, their words in ``language`` (so a part of the cache key)."""
    return run_quality_checks(_engine, now)


def load_quality_checks(engine: Engine, now: datetime) -> list[QualityCheck]:
    """:func:`~crm_data.quality.run_quality_checks`, cached per (URL, data version, now,
    language).
    """
    url = engine.url.render_as_string(hide_password=False)
    with st.spinner(_("Checking data quality…")):
        return _cached_checks(url, data_version(), now, current_language(), engine)


_STATUS = {"ok": N_("ok"), "warning": N_("found"), "missing": N_("table missing")}


def quality_frame(checks: list[QualityCheck]) -> pd.DataFrame:
    """One row per check: title, status, offending rows, what to do and the tables read."""
    frame = pd.DataFrame(
        {
            _("Check"): [c.title for c in checks],
            _("Status"): [_(_STATUS[c.status]) for c in checks],
            _("Rows"): pd.array([c.count for c in checks], dtype="Int64"),
            _("What to do"): [c.fix if c.status == "warning" else "" for c in checks],
            _("Tables"): [c.table for c in checks],
        }
    )
    return frame
