"""Cached :func:`crm_data.info.database_info` and its table for the Data page."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from crm_data.info import DatabaseInfo, database_info
from ui.engine import data_version

__all__ = ["TABLE_COLUMNS", "info_frame", "load_database_info"]

#: Column labels of :func:`info_frame`.
TABLE_COLUMNS = ("Table", "Status", "Rows", "First date", "Last date", "Date column")


@st.cache_data(ttl="5m", max_entries=8, show_spinner="Counting rows…")
def _cached_info(url: str, version: int, _engine: Engine) -> DatabaseInfo:
    return database_info(_engine)


def load_database_info(engine: Engine) -> DatabaseInfo:
    """:func:`~crm_data.info.database_info`, cached for 5 minutes per (URL, data version)."""
    return _cached_info(engine.url.render_as_string(hide_password=False), data_version(), engine)


def info_frame(info: DatabaseInfo) -> pd.DataFrame:
    """One row per CRM table: status (ok/empty/absent), rows and date range.

    ``Rows`` is a nullable integer (missing for absent tables); the dates are timestamps
    (missing where the table has no rows or no date column).
    """
    rows = [
        {
            "Table": t.name,
            "Status": t.status,
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
    return frame
