"""Tables: show a frame, let the user pick a row (drill-through), export exactly what is shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from i18n.formatting import MISSING
from ui.export import XLSX_MIME, csv_bytes, xlsx_bytes

__all__ = ["data_table", "export_buttons"]


def export_buttons(
    frame: pd.DataFrame, *, key: str, file_stem: str, context: Mapping[str, str]
) -> None:
    """CSV and XLSX download buttons for ``frame``, with ``context`` (the filters) in the file."""
    left, right = st.columns(2, width=360)
    left.download_button(
        "CSV", csv_bytes(frame, context), file_name=f"{file_stem}.csv", mime="text/csv",
        icon=":material/download:", on_click="ignore", key=f"{key}_csv", width="stretch",
    )  # fmt: skip
    right.download_button(
        "Excel", xlsx_bytes(frame, context), file_name=f"{file_stem}.xlsx", mime=XLSX_MIME,
        icon=":material/download:", on_click="ignore", key=f"{key}_xlsx", width="stretch",
    )  # fmt: skip


def data_table(
    frame: pd.DataFrame,
    *,
    key: str,
    file_stem: str,
    context: Mapping[str, str],
    column_config: Mapping[str, Any] | None = None,
    selectable: bool = False,
    export: pd.DataFrame | None = None,
) -> int | None:
    """Show ``frame`` (columns already named as they should read) with export buttons.

    Parameters
    ----------
    frame : DataFrame
        What to show and export, as is.
    key, file_stem : str
        Widget key prefix and download file name (without extension).
    context : mapping
        The filters that produced the table, written into the exported files.
    column_config : mapping, optional
        ``st.column_config`` entries (formatting only; the export keeps raw values).
    selectable : bool
        Let the user select one row; its position is returned (for a drill-through).
    export : DataFrame, optional
        What the buttons export instead of ``frame``: the numbers behind a column ``frame``
        shows as text (signed money, "−$9,280"), same rows and column names.

    Returns
    -------
    int or None
        The selected row's position in ``frame``, if any.  A selection made while the table
        held other rows (the filters changed since) is forgotten, so a position never points at
        a row the user did not pick.
    """
    if selectable:
        _forget_stale_selection(frame, key)
    cells = getattr(column_config, "cells", None)  # ui.labels.TableConfig outside English
    shown = frame.style.format(cells, na_rep=MISSING) if cells else frame
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config=dict(column_config or {}),
        key=key,
        on_select="rerun" if selectable else "ignore",
        selection_mode="single-row",
        placeholder="—",
    )
    export_buttons(frame if export is None else export, key=key, file_stem=file_stem,
                   context=context)  # fmt: skip
    if not selectable:
        return None
    rows = event.selection.rows  # type: ignore[union-attr]
    return int(rows[0]) if rows and int(rows[0]) < len(frame) else None


def _forget_stale_selection(frame: pd.DataFrame, key: str) -> None:
    """Drop the table's selection state when its rows differ from the last run's."""
    rows = int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0
    marker = f"_rows_{key}"
    if st.session_state.get(marker) != rows:
        st.session_state.pop(key, None)
        st.session_state[marker] = rows
