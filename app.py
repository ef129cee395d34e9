"""CRM Analytics: the Streamlit entry point.

In auth mode ``none`` first makes sure only this computer is served (``ui.exposure``), then
checks the database (seeding the embedded one on first start), finds out who is asking
(``ui.auth``), registers only the pages that role may open (``ui/registry.py``), draws the
global filter bar (mirrored in the URL) and runs the selected page.  Database errors become an
error panel: the masked URL, the driver's message and what to check for admins and analysts,
a generic message for everyone else and before any login (``ui.errors``); no traceback
reaches the screen.

Run with ``python3 -m streamlit run app.py``.
"""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from access.roles import role_label, sees_connection_details
from crm_data.config import check_connection, mask_url, statement_failed
from crm_data.errors import CrmDataError
from i18n import _
from ui.auth import LOCAL_ADMIN, auth_settings, current_identity, logout_button
from ui.database_info import crm_tables_present, no_crm_tables
from ui.engine import data_version, get_databases, get_engine
from ui.errors import show_crm_error
from ui.exposure import guard_local_mode, local_mode_note
from ui.filter_bar import filter_bar
from ui.first_run import FLASH_KEY, ensure_demo_data
from ui.format import escape_markdown
from ui.kpi import wrap_metric_labels
from ui.language import choose_language, language_switch
from ui.page import FilteredContext, PageContext, set_page_context
from ui.registry import navigation_pages, page_spec, route_through_app

route_through_app(entrypoint=True)
LANGUAGE = choose_language()
st.set_page_config(page_title=_("CRM Analytics"), page_icon=":material/insights:", layout="wide")


def main() -> None:
    """Check the database, authenticate, register the role's pages and run the selected one."""
    wrap_metric_labels()
    language_switch(LANGUAGE)
    viewer: str | None = None  # the role errors are shown to: nobody known before the login
    try:
        settings = auth_settings()
        if settings.mode == "none":
            guard_local_mode()
            viewer = LOCAL_ADMIN.role
        engine = get_engine()
    except CrmDataError as exc:  # e.g. a login configuration that would let anyone in
        st.navigation(navigation_pages(), position="hidden")  # not the page files' names
        show_crm_error(exc, viewer)
        return
    page: StreamlitPage | None = None  # the page to run, once the role's pages are registered
    try:
        check_connection(engine)
        ensure_demo_data(engine)
        version = data_version()
        identity = current_identity(get_databases(), settings, version)
        scope = identity.scope()
        viewer = scope.role
        page = st.navigation(navigation_pages(scope.role))
        with st.sidebar:
            st.caption(f"{escape_markdown(identity.name)} · {role_label(scope.role)}")
            logout_button(settings, st)
            if settings.mode == "none":
                local_mode_note(st.sidebar)
        context = PageContext(identity, scope, version)
        spec = page_spec(page.url_path)
        if spec is not None and spec.filters and not crm_tables_present(engine):
            no_crm_tables(scope.role)
            return
        if spec is not None and spec.filters:
            filters, period, compare, labels = filter_bar(engine, scope, version)
            context = FilteredContext(identity, scope, version, filters, period, compare, labels)
        if sees_connection_details(scope.role):
            st.sidebar.caption(_("Database: `{url}`").format(url=mask_url(engine.url)))
        set_page_context(context)
        if message := st.session_state.pop(FLASH_KEY, None):
            st.toast(message, icon=":material/check_circle:")
        page.run()
    except (CrmDataError, sa.exc.SQLAlchemyError) as exc:
        if page is None:  # no navigation yet: not the page files' names, no "Page not found"
            st.navigation(navigation_pages(), position="hidden")
        error = exc if isinstance(exc, CrmDataError) else statement_failed(exc, engine)
        show_crm_error(error, viewer)


main()
