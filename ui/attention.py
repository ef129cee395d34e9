"""The "needs attention" cards: a count, a link to the page that explains it, and the list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from i18n import _
from i18n.formatting import format_count
from ui.labels import labelled
from ui.page import PageContext
from ui.registry import page_link
from ui.tables import data_table

__all__ = ["Attention", "attention_card"]


@dataclass(frozen=True)
class Attention:
    """One attention item: ``count`` rows in all, ``frame`` the first of them.

    ``title``, ``what`` and ``labels`` are shown as given: the caller translates them.
    ``page`` is the url_path of the page that explains the item (linked when the role may open
    it); ``columns`` are the frame's columns shown (and exported), under their
    :data:`ui.labels.COLUMNS` labels unless ``labels`` gives another one.
    """

    title: str
    count: int
    frame: pd.DataFrame
    page: str
    key: str
    what: str
    columns: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)


def attention_card(item: Attention, context: PageContext, currency: str | None) -> None:
    """A bordered card: the count (with the definition as help), the link, the list (amounts
    in ``currency``).
    """
    with st.container(border=True, height="stretch"):
        st.metric(item.title, format_count(item.count), help=item.what)
        page_link(item.page, context.scope.role)
        if item.count:
            shown = min(item.count, len(item.frame))
            with st.expander(
                _("Show the list ({shown} of {count})").format(
                    shown=format_count(shown), count=format_count(item.count)
                )
            ):
                frame, config = labelled(
                    item.frame, item.columns, currency=currency, labels=item.labels
                )
                data_table(
                    frame,
                    key=item.key,
                    file_stem=item.key,
                    context=context.export_context(
                        _("Overview — {title}").format(title=item.title)
                    ),
                    column_config=config,
                )
