"""How every page starts: who is asking, the filters, and the page header.

``app.py`` stores a :class:`PageContext` (a page without the filter bar) or a
:class:`FilteredContext` (a page registered with ``filters=True``: the filter bar's choices, none
of them optional) before the page runs; the page's first line takes it back with
:func:`page_start` or :func:`filtered_page_start`, typed, so no page checks for ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from access.roles import Role
from analytics.periods import COMPARISONS, Period, period_label
from appdb.users import Identity
from crm_data.filters import Filters, Scope
from i18n import _
from ui.format import escape_markdown
from ui.registry import page_spec, route_through_app

__all__ = [
    "FilteredContext",
    "PageContext",
    "compare_text",
    "currency_notice",
    "filtered_page_start",
    "page_header",
    "page_start",
    "set_page_context",
]

_KEY = "page_context"


@dataclass(frozen=True)
class PageContext:
    """The identity, its scope and the data version of this run (every page)."""

    identity: Identity
    scope: Scope
    version: int

    def filter_context(self) -> dict[str, str]:
        """The filters behind a table, in words (none on a page without the filter bar)."""
        return {}

    def export_context(self, page: str) -> dict[str, str]:
        """What produced a table, for the header of an exported file."""
        return {_("Page"): page, **self.filter_context(), _("Scope"): _who(self)}


@dataclass(frozen=True)
class FilteredContext(PageContext):
    """A page with the filter bar: the filters, their period, the comparison and the labels
    of the narrowing filters (e.g. ``("Regions", "North-East")``).
    """

    filters: Filters
    period: Period
    compare: str = "previous"
    labels: tuple[tuple[str, str], ...] = ()

    def filter_context(self) -> dict[str, str]:
        """Period, comparison and narrowing filters, in words."""
        period = _("{label} ({start} to {end}, end excluded)").format(
            label=self.period.label, start=self.period.start, end=self.filters.end
        )
        return {
            _("Period"): period,
            _("Compared with"): compare_text(self.filters, self.compare),
            **dict(self.labels),
        }


def set_page_context(context: PageContext) -> None:
    """Called by ``app.py`` before the page runs."""
    st.session_state[_KEY] = context


def page_start(url_path: str) -> PageContext:
    """Start the page ``url_path``: run it through ``app.py`` (:func:`route_through_app`) and
    return its context, after checking (again) that the role may open the page.

    The registry already leaves out pages a role may not open; this second check guards
    against a page run some other way.

    Parameters
    ----------
    url_path : str
        The page's ``url_path`` in :data:`ui.registry.PAGES`.

    Returns
    -------
    PageContext
        Who is asking and the data version (stops the run with a notice when the role may
        not open the page).
    """
    route_through_app()
    context = st.session_state.get(_KEY)
    spec = page_spec(url_path)
    if not isinstance(context, PageContext) or spec is None or not spec.allowed(context.scope.role):
        st.error(_("You may not open this page."), icon=":material/block:")
        st.stop()
    return context


def filtered_page_start(url_path: str) -> FilteredContext:
    """:func:`page_start` for a page with the filter bar (registered with ``filters=True``).

    Returns
    -------
    FilteredContext
        The context with the filters, their period and the comparison, never ``None`` (stops
        the run with a notice when ``app.py`` drew no filter bar for this page).
    """
    context = page_start(url_path)
    if not isinstance(context, FilteredContext):
        st.error(
            _("This page needs the filter bar: open it from the menu."), icon=":material/block:"
        )
        st.stop()
    return context


def compare_text(filters: Filters, compare: str) -> str:
    """The comparison period in words, e.g. "Previous period: 1 Oct – 25 Oct 2026"."""
    start, end = filters.compare_period()
    name = _(COMPARISONS[compare]) if compare in COMPARISONS else compare
    return f"{name}: {period_label(start, end)}"


def _who(context: PageContext) -> str:
    identity = context.identity
    if context.scope.role == Role.REP:
        return _("{name}'s own data").format(name=identity.name)
    if context.scope.role == Role.HEAD:
        return _("team of {name}").format(name=identity.name)
    return _("all data")


def page_header(title: str, context: PageContext, about: str) -> None:
    """Title, one sentence about the page, and the period, comparison and scope it shows."""
    st.title(title, anchor=False)
    parts = [about]
    if isinstance(context, FilteredContext):
        parts.append(
            _("**{period}** vs {comparison}").format(
                period=context.period.label,
                comparison=compare_text(context.filters, context.compare),
            )
        )
        parts += [f"{name}: {escape_markdown(value)}" for name, value in context.labels]
    parts.append(_("Showing {who}").format(who=escape_markdown(_who(context))))
    st.caption(" · ".join(parts))


def currency_notice(currency: str | None, mixed: bool) -> None:
    """Warn when the deals are in more than one currency (amounts are added as they are)."""
    if mixed:
        st.warning(
            _(
                "Deals are in more than one currency; amounts are added as they are and shown "
                "in {currency}, the most used one."
            ).format(currency=escape_markdown(str(currency))),
            icon=":material/currency_exchange:",
        )
