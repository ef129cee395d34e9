"""CRM Analytics: the Streamlit entry point.

Registers the pages (``ui/registry.py``), checks the database, seeds the embedded database on
first start, and runs the selected page.  Database errors become an error panel naming the
masked URL, the driver's message and what to check; no traceback reaches the screen.

Run with ``python3 -m streamlit run app.py``.
"""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st

from crm_data.config import check_connection, mask_url, statement_failed
from crm_data.errors import CrmDataError
from ui.engine import get_engine
from ui.errors import show_crm_error
from ui.first_run import FLASH_KEY, ensure_demo_data
from ui.registry import navigation_pages, route_through_app

route_through_app(entrypoint=True)
st.set_page_config(page_title="CRM Analytics", page_icon=":material/insights:", layout="wide")


def main() -> None:
    """Route to the selected page, with the database checked and seeded first."""
    page = st.navigation(navigation_pages())
    try:
        engine = get_engine()
    except CrmDataError as exc:
        show_crm_error(exc)
        return
    st.sidebar.caption(f"Database: `{mask_url(engine.url)}`")
    try:
        check_connection(engine)
        ensure_demo_data(engine)
        if message := st.session_state.pop(FLASH_KEY, None):
            st.toast(message, icon=":material/check_circle:")
        page.run()
    except CrmDataError as exc:
        show_crm_error(exc)
    except sa.exc.SQLAlchemyError as exc:
        show_crm_error(statement_failed(exc, engine))


main()
