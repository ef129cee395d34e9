"""The error panel: what went wrong with the database, in words, never a traceback.

Connection details (the masked URL, the driver's message, what to check) are for the roles that
look after the dashboard's data, admins and analysts.  Anyone else, and everyone before logging
in, reads that the dashboard cannot reach its database, with a Retry button; the details go to
the server's log (stderr), where the administrator finds them.
"""

from __future__ import annotations

import streamlit as st
from streamlit.logger import get_logger

from access.roles import sees_connection_details
from crm_data.config import DEFAULT_URL, ENV_VAR
from crm_data.errors import (
    ConfigurationError,
    CrmDataError,
    DatabaseLocked,
    DatabaseTimeout,
    DatabaseUnavailable,
    seconds_text,
)
from i18n import _

__all__ = ["show_crm_error", "show_database_error"]

_LOG = get_logger(__name__)


def _retry_button() -> None:
    if st.button(_("Retry"), icon=":material/refresh:", key="db_error_retry"):
        st.rerun()


def show_database_error(exc: DatabaseUnavailable) -> None:
    """Draw the panel for an unreachable or locked database: URL, driver message, hint."""
    if isinstance(exc, DatabaseTimeout):
        title = _("The CRM database did not answer within {seconds} s").format(
            seconds=seconds_text(exc.seconds)
        )
    elif isinstance(exc, DatabaseLocked):
        title = _("The CRM database is locked")
    else:
        title = _("Cannot open the CRM database")
    with st.container(border=True):
        st.error(f"**{title}**", icon=":material/database_off:")
        st.markdown(f"**{_('Database:')}** `{exc.masked_url}`")
        st.markdown(f"**{_('The driver said:')}**")
        st.code(exc.driver_message, language=None, wrap_lines=True)
        st.markdown(f"**{_('What to check:')}** {exc.hint}")
        st.caption(
            _(
                "The URL comes from {env_var}, else url under [connections.crm] in "
                ".streamlit/secrets.toml, else the default {default_url}."
            ).format(env_var=ENV_VAR, default_url=DEFAULT_URL)
        )
        _retry_button()


def _show_generic_error(exc: DatabaseUnavailable | ConfigurationError) -> None:
    """The panel for a user who may not see connection details: what happened, what to do."""
    title = (
        _("The dashboard cannot reach its database.")
        if isinstance(exc, DatabaseUnavailable)
        else _("The dashboard is not set up correctly.")
    )
    if isinstance(exc, DatabaseTimeout):
        title = _("The dashboard's database did not answer in time.")
    with st.container(border=True):
        st.error(f"**{title}**", icon=":material/database_off:")
        st.markdown(
            _(
                "The details are in the server's log for your administrator. Try again in a "
                "minute; if it keeps happening, ask your administrator."
            )
        )
        _retry_button()


def show_crm_error(exc: CrmDataError, role: str | None = None) -> None:
    """Draw any data-layer error for a user of ``role`` (``None``: nobody is logged in yet).

    An unreachable database and a broken configuration are logged, and shown in full to the
    roles of :func:`access.roles.sees_connection_details` only; other errors carry messages
    written for every user (e.g. a plan that cannot be saved) and are shown as they are.
    """
    if isinstance(exc, DatabaseUnavailable | ConfigurationError):
        _LOG.error("%s: %s", type(exc).__name__, exc)
        if not sees_connection_details(role):
            _show_generic_error(exc)
            return
    if isinstance(exc, DatabaseUnavailable):
        show_database_error(exc)
    else:
        st.error(str(exc), icon=":material/error:")
