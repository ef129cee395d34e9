"""The error panel: what went wrong with the database, in words, never a traceback."""

from __future__ import annotations

import streamlit as st

from crm_data.config import DEFAULT_URL, ENV_VAR
from crm_data.errors import CrmDataError, DatabaseLocked, DatabaseUnavailable

__all__ = ["show_crm_error", "show_database_error"]


def show_database_error(exc: DatabaseUnavailable) -> None:
    """Draw the panel for an unreachable or locked database: URL, driver message, hint."""
    title = (
        "The CRM database is locked"
        if isinstance(exc, DatabaseLocked)
        else "Cannot open the CRM database"
    )
    with st.container(border=True):
        st.error(f"**{title}**", icon=":material/database_off:")
        st.markdown(f"**Database:** `{exc.masked_url}`")
        st.markdown("**The driver said:**")
        st.code(exc.driver_message, language=None, wrap_lines=True)
        st.markdown(f"**What to check:** {exc.hint}")
        st.caption(
            f"The URL comes from {ENV_VAR}, else url under [connections.crm] in "
            f".streamlit/secrets.toml, else the default {DEFAULT_URL}."
        )
        if st.button("Retry", icon=":material/refresh:", key="db_error_retry"):
            st.rerun()


def show_crm_error(exc: CrmDataError) -> None:
    """Draw any data-layer error: the database panel when it applies, else its message."""
    if isinstance(exc, DatabaseUnavailable):
        show_database_error(exc)
    else:
        st.error(str(exc), icon=":material/error:")
