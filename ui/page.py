"""What every page receives from ``app.py``: who is asking, the filters, and the page header."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from analytics.periods import COMPARISONS, Period, period_label
from crm_data.filters import Filters, Scope
from crm_data.users import Identity
from ui.format import escape_markdown
from ui.registry import page_spec

__all__ = [
    "PageContext",
    "compare_text",
    "currency_notice",
    "page_context",
    "page_header",
    "set_page_context",
]

_KEY = "page_context"


@dataclass(frozen=True)
class PageContext:
    """The identity, its scope, and (on pages that use them) the filters of this run."""

    identity: Identity
    scope: Scope
    version: int
    filters: Filters | None = None
    period: Period | None = None
    compare: str = "previous"
    labels: tuple[tuple[str, str], ...] = ()

    def export_context(self, page: str) -> dict[str, str]:
        """What produced a table, for the header of an exported file."""
        context = {"Page": page}
        if self.filters is not None and self.period is not None:
            context["Period"] = (
                f"{self.period.label} ({self.period.start} to {self.filters.end}, end excluded)"
            )
            context["Compared with"] = compare_text(self.filters, self.compare)
        context.update(dict(self.labels))
        context["Scope"] = _who(self)
        return context


def set_page_context(context: PageContext) -> None:
    """Called by ``app.py`` before the page runs."""
    st.session_state[_KEY] = context


def page_context(url_path: str) -> PageContext:
    """The context of this run, after checking (again) that the role may open the page.

    The registry already leaves out pages a role may not open; this second check guards
    against a page run some other way.
    """
    context = st.session_state.get(_KEY)
    spec = page_spec(url_path)
    if not isinstance(context, PageContext) or spec is None or not spec.allowed(context.scope.role):
        st.error("You may not open this page.", icon=":material/block:")
        st.stop()
    return context  # type: ignore[return-value]


def compare_text(filters: Filters, compare: str) -> str:
    """The comparison period in words, e.g. "Previous period: 1 Oct – 25 Oct 2026"."""
    start, end = filters.compare_period()
    return f"{COMPARISONS.get(compare, compare)}: {period_label(start, end)}"


def _who(context: PageContext) -> str:
    identity = context.identity
    if context.scope.role == "rep":
        return f"{identity.name}'s own data"
    if context.scope.role == "head":
        return f"team of {identity.name}"
    return "all data"


def page_header(title: str, context: PageContext, about: str) -> None:
    """Title, one sentence about the page, and the period, comparison and scope it shows."""
    st.title(title, anchor=False)
    parts = [about]
    if context.filters is not None and context.period is not None:
        parts.append(
            f"**{context.period.label}** vs {compare_text(context.filters, context.compare)}"
        )
    parts += [f"{name}: {escape_markdown(value)}" for name, value in context.labels]
    parts.append(f"Showing {escape_markdown(_who(context))}")
    st.caption(" · ".join(parts))


def currency_notice(currency: str | None, mixed: bool) -> None:
    """Warn when the deals are in more than one currency (amounts are added as they are)."""
    if mixed:
        st.warning(
            f"Deals are in more than one currency; amounts are added as they are and shown in "
            f"{escape_markdown(str(currency))}, the most used one.",
            icon=":material/currency_exchange:",
        )
