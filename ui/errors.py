"""The error panel: what went wrong with the database, in words, never a traceback."""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from crm_data.config import check_connection, mask_url
from crm_data.errors import CrmDataError, DatabaseLocked, DatabaseUnavailable

__all__ = ["as_database_error", "show_crm_error", "show_database_error"]


def as_database_error(exc: sa.exc.SQLAlchemyError, engine: Engine) -> DatabaseUnavailable:
    """Turn a driver error raised by a query into a :class:`DatabaseUnavailable`.

    If the database no longer answers, the connection check's error (with its hint) is
    returned; otherwise the failing query's own message with a generic hint.
    """
    try:
        check_connection(engine)
    except DatabaseUnavailable as unavailable:
        return unavailable
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip().splitlines()[0]
    return DatabaseUnavailable(
        mask_url(engine.url),
        message,
        "The database answered but a query failed: check that it has the CRM schema "
        "(python -m crm_data info) and that the user may read it.",
    )


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
            "The URL comes from --url, CRM_DATABASE_URL, [connections.crm] in "
            ".streamlit/secrets.toml, or the default duckdb:///data/crm.duckdb."
        )
        if st.button("Retry", icon=":material/refresh:", key="db_error_retry"):
            st.rerun()


def show_crm_error(exc: CrmDataError) -> None:
    """Draw any data-layer error: the database panel when it applies, else its message."""
    if isinstance(exc, DatabaseUnavailable):
        show_database_error(exc)
    else:
        st.error(str(exc), icon=":material/error:")
