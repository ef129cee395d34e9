"""The page registry: which pages exist, in which navigation section.

Add a page by appending a :class:`PageSpec`; sections appear in :data:`SECTION_ORDER`.
Which role may open which page is :func:`access.roles.can_see_page`; pages a role may not open
are not registered at all, so their URL is not reachable (Streamlit reference §1.2).

``app.py`` calls :func:`route_through_app` first, and every page file through its first
statement (``ui.page.page_start`` or ``filtered_page_start``): because the page files
live in ``pages/``, Streamlit's legacy multipage mode runs a page file *directly* (without
``app.py``) when a fresh server's first request is a page URL such as ``/data``.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from access.roles import can_see_page
from i18n import N_, _

__all__ = [
    "PAGES",
    "menu_order",
    "SECTION_ORDER",
    "PageSpec",
    "home_pages",
    "navigation_pages",
    "page_link",
    "page_spec",
    "route_through_app",
]


@dataclass(frozen=True)
class PageSpec:
    """One page of the app.

    Attributes
    ----------
    path : str
        Page file, relative to ``app.py``.
    title, url_path, icon : str
        As in ``st.Page`` (``title`` in English, marked with ``N_`` and shown translated);
        ``url_path`` must be unique and contain no ``/``.
    section : str
        Navigation section (one of :data:`SECTION_ORDER`).
    filters : bool
        Whether the page uses the global filter bar (drawn by ``app.py``).
    """

    path: str
    title: str
    url_path: str
    icon: str
    section: str
    filters: bool = True

    def __post_init__(self) -> None:
        # The legacy-mode page hash is calc_hash(file stem); route_through_app's rerun lands on
        # the same page only if the url_path equals the file stem.
        stem = self.path.rsplit("/", 1)[-1].removesuffix(".py")
        if self.url_path != stem:
            raise ValueError(f"url_path {self.url_path!r} must equal the file stem of {self.path}")

    def allowed(self, role: str | None) -> bool:
        """Whether ``role`` may open the page (``None`` role: no role system, all pages)."""
        return role is None or can_see_page(role, self.url_path)


#: Navigation sections, in menu order (marked for translation, shown with ``_()``).
SECTION_ORDER: tuple[str, ...] = (
    N_("Management"), N_("Sales"), N_("Customers"), N_("Data"), N_("Administration"),
)  # fmt: skip

#: Every page of the app.
PAGES: list[PageSpec] = [
    PageSpec("pages/overview.py", N_("Overview"), "overview", ":material/dashboard:", "Management"),
    PageSpec(
        "pages/forecast.py", N_("Forecast"), "forecast", ":material/trending_up:", "Management",
    ),
    PageSpec("pages/funnel.py", N_("Funnel"), "funnel", ":material/filter_alt:", "Sales"),
    PageSpec("pages/activity.py", N_("Activity"), "activity", ":material/call:", "Sales"),
    PageSpec(
        "pages/performance.py", N_("Performance"), "performance", ":material/leaderboard:",
        "Sales",
    ),
    PageSpec(
        "pages/incentives.py", N_("Incentives"), "incentives", ":material/emoji_events:", "Sales",
        filters=False,
    ),
    PageSpec(
        "pages/segments.py", N_("Segments"), "segments", ":material/groups:", "Customers",
    ),
    PageSpec(
        "pages/customers.py", N_("Customers"), "customers", ":material/person_search:",
        "Customers",
    ),
    PageSpec(
        "pages/campaigns.py", N_("Campaigns & Service"), "campaigns", ":material/campaign:",
        "Customers",
    ),
    PageSpec(
        "pages/data.py", N_("Data"), "data", ":material/database:", "Data",
        filters=False,
    ),
    PageSpec(
        "pages/users.py", N_("Users"), "users", ":material/manage_accounts:", "Administration",
        filters=False,
    ),
]  # fmt: skip


def page_spec(url_path: str) -> PageSpec | None:
    """The page registered under ``url_path`` (``None`` for the hidden landing page)."""
    return next((spec for spec in PAGES if spec.url_path == url_path), None)


def menu_order(role: str | None = None) -> list[PageSpec]:
    """The pages ``role`` may open, in menu order (sections in :data:`SECTION_ORDER`)."""
    order = {name: i for i, name in enumerate(SECTION_ORDER)}
    ordered = sorted(PAGES, key=lambda p: order.get(p.section, len(order)))
    return [spec for spec in ordered if spec.allowed(role)]


def home_pages(draw: Callable[[], None], title: str) -> list[st.Page]:
    """The app's root page, drawn by ``draw``: at ``/`` and at ``/home`` (both hidden).

    Streamlit serves the default page at the root URL only (its ``url_path`` is ignored), so a
    link to ``/home?...`` would answer "Page not found"; the second page answers it.
    """
    return [
        st.Page(draw, title=title, url_path="root", default=True, visibility="hidden"),
        st.Page(draw, title=title, url_path="home", visibility="hidden"),
    ]


def navigation_pages(role: str | None = None) -> dict[str, list[st.Page]]:
    """``{section: [st.Page, ...]}`` for ``st.navigation``, only the pages ``role`` may open.

    The root URL is a hidden landing page that switches to the first page in menu order, so
    every page, the first included, keeps its own URL (a page made the default would be
    served at ``/`` only, and ``/data`` would answer "Page not found").
    """
    sections: dict[str, list[st.Page]] = {}
    for spec in menu_order(role):
        page = st.Page(spec.path, title=_(spec.title), url_path=spec.url_path, icon=spec.icon)
        sections.setdefault(_(spec.section), []).append(page)
    first = next((pages[0] for pages in sections.values() if pages), None)

    def landing() -> None:
        """The root URL: go to the first page (or say there is none for this role)."""
        if first is None:
            st.info(_("There is no page you may open. Ask an admin for access."))
            return
        # keep the link's query parameters (shared filters) on the way to the first page
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        st.switch_page(first, query_params=params)

    return {"": home_pages(landing, _("Home")), **sections}


def route_through_app(*, entrypoint: bool = False) -> None:
    """Make sure this script run goes through ``app.py`` and its ``st.navigation``.

    With a ``pages/`` folder, Streamlit starts in legacy multipage mode: in a fresh server
    process (and in every ``AppTest`` run) a request for a page such as ``/data`` executes the
    page file alone, without ``app.py`` (no page config, no error panel, an automatic sidebar
    listing ``app`` and the page files).  ``st.navigation`` leaves that mode, but only once
    ``app.py`` has run.

    ``app.py`` calls this with ``entrypoint=True`` first thing: it only leaves the legacy mode,
    and its own ``st.navigation`` routes the run.  Every page calls it without arguments: when
    the page is running alone, it runs ``app.py`` in its place (which routes back to this page:
    same ``url_path``, same page hash) and stops.  Running it in place rather than calling
    ``st.rerun()`` keeps this run's widget events, such as a button click.
    """
    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    if entrypoint:
        return
    ctx = get_script_run_ctx()
    if ctx is None:  # not inside a Streamlit script run (bare import)
        return
    runpy.run_path(str(ctx.pages_manager.main_script_path))
    st.stop()


def page_link(url_path: str, role: str | None, label: str | None = None) -> None:
    """A link to the page ``url_path`` if it exists and ``role`` may open it (else nothing)."""
    spec = page_spec(url_path)
    if spec is not None and spec.allowed(role):
        text = label or _("Open {page}").format(page=_(spec.title))
        st.page_link(spec.path, label=text, icon=spec.icon)
