"""First start: create and seed the embedded database when it has no CRM tables yet.

Only embedded file databases (DuckDB, SQLite) are seeded automatically; an empty server
database is left alone and the Data page offers seeding instead.  ``CRM_DEMO_SIZE`` picks the
size (default ``S``; ``XS`` in tests), ``CRM_AUTO_SEED=0`` turns the automatic seeding off.
"""

from __future__ import annotations

import os
import threading

import streamlit as st
from sqlalchemy.engine import Engine

from crm_data.demo import SIZES
from crm_data.info import has_crm_tables
from i18n import _
from i18n.formatting import format_number
from ui.registry import navigation_pages
from ui.seeding import seed_with_progress

__all__ = ["DEFAULT_SIZE", "FLASH_KEY", "demo_size", "ensure_demo_data", "needs_first_run_seed"]

DEFAULT_SIZE = "S"

#: Session-state key of the message shown (once) after the first-start seeding.
FLASH_KEY = "app_flash"


def demo_size() -> str:
    """The first-start demo size: ``CRM_DEMO_SIZE`` if it names a size, else ``S``."""
    wanted = os.environ.get("CRM_DEMO_SIZE", DEFAULT_SIZE).strip().upper()
    return wanted if wanted in SIZES else DEFAULT_SIZE


def needs_first_run_seed(engine: Engine) -> bool:
    """Whether ``engine`` is an embedded database without any CRM table (and auto-seed is on)."""
    if os.environ.get("CRM_AUTO_SEED", "1").strip() == "0":
        return False
    return engine.dialect.name in {"duckdb", "sqlite"} and not has_crm_tables(engine)


@st.cache_resource(show_spinner=False)
def _seed_lock() -> threading.Lock:
    """One lock per process so two sessions starting together seed only once."""
    return threading.Lock()


def ensure_demo_data(engine: Engine) -> None:
    """Seed the demo company on first start, then rerun (nothing to do: return at once).

    Draws a status box with the generator's progress while it runs, and leaves a message in
    ``st.session_state[FLASH_KEY]`` that ``app.py`` shows as a toast after the rerun.  Checked
    once per session and URL, so later reruns cost nothing.
    """
    checked = str(engine.url)
    if st.session_state.get("_first_run_checked") == checked:
        return
    if not needs_first_run_seed(engine):
        st.session_state["_first_run_checked"] = checked
        return
    # No page is registered yet: without a navigation of its own, this run would show
    # Streamlit's default sidebar, the files of pages/ (and "app") by name.
    st.navigation(navigation_pages(), position="hidden")
    lock = _seed_lock()
    if not lock.acquire(blocking=False):
        with st.spinner(_("Another session is creating the demo company…"), show_time=True):
            lock.acquire()
    try:
        if not needs_first_run_seed(engine):  # another session seeded meanwhile
            return
        size = demo_size()
        with st.status(
            _("First start: creating a demo company (size {size})…").format(size=size),
            expanded=True,
        ) as status:
            st.write(
                _(
                    "The database has no CRM tables yet, so the app fills it with a "
                    "deterministic demo company. Point CRM_DATABASE_URL at your own database to "
                    "use real data."
                )
            )
            report, _plans = seed_with_progress(size, by="the app's first start")
            status.update(label=_("Demo company created"), state="complete", expanded=False)
    finally:
        lock.release()
    st.session_state["_first_run_checked"] = checked
    st.session_state[FLASH_KEY] = _(
        "First start: created a demo company (size {size}) in {seconds} s."
    ).format(size=size, seconds=format_number(report.seconds, 1))
    st.rerun()
