"""Every text an ``AppTest`` run shows, and a check that it is Russian unless it is data.

:func:`visible_texts` walks the element tree (main area and sidebar) and yields ``(what, text)``
for titles, headings, captions, Markdown, alerts, metric labels, widget labels, help texts and
options, tab and expander labels, and table column names.  :func:`untranslated` keeps the texts
with Latin words left once data words (names, stages, regions: every word of the database's
text columns), codes (a currency, a URL, a file name) and product names are taken out, and no
Cyrillic letter: a label a user reads in English in the Russian UI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crm_data.schema import Base

__all__ = ["TECHNICAL", "data_words", "untranslated", "visible_texts"]

#: Words that stay as they are in a Russian UI: product and format names, codes, units.
TECHNICAL = frozenset(
    [
        "crm",
        "kpi",
        "csv",
        "xlsx",
        "url",
        "sql",
        "duckdb",
        "postgresql",
        "mysql",
        "mariadb",
        "sqlite",
        "oidc",
        "id",
        "email",
        "e-mail",
        "english",
        "streamlit",
        "python",
        "jupyter",
        "pdf",
        "html",
        "api",
        "utc",
        "iso",
        "sso",
        "excel",
        "ok",
        "pp",
        "x",
        "k",
        "m",
        "b",
        "usd",
        "eur",
        "rub",
        "gbp",
        "jpy",
        "inr",
        "brl",
    ]
)
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_CODE = re.compile(r"`[^`]*`|https?://\S+|\S+@\S+|\S+\.(?:py|csv|xlsx|yaml|duckdb|sqlite)\b")
_MARKUP = re.compile(r":material/[a-z_]+:|:[a-z]+\[|\*\*|__|\\")

_TEXT_ELEMENTS = (
    "title",
    "header",
    "subheader",
    "caption",
    "markdown",
    "info",
    "warning",
    "error",
    "success",
    "exception",
    "toast",
)
_WIDGETS = (
    "button",
    "checkbox",
    "color_picker",
    "date_input",
    "multiselect",
    "number_input",
    "radio",
    "selectbox",
    "select_slider",
    "slider",
    "text_area",
    "text_input",
    "time_input",
    "toggle",
)


def data_words(bind: sa.Engine) -> frozenset[str]:
    """Every word (lower case) of every text column of the CRM database's tables."""
    words: set[str] = set()
    with bind.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, sa.String):
                    values = conn.execute(sa.select(column).distinct()).scalars()
                    for value in values:
                        words.update(w.lower() for w in _WORD.findall(str(value or "")))
    return frozenset(words)


def _texts_of(node: object) -> Iterator[tuple[str, str]]:
    kind = type(node).__name__
    for attribute in ("label", "help", "value", "placeholder"):
        if attribute == "value" and kind not in (
            "Markdown",
            "Title",
            "Header",
            "Subheader",
            "Caption",
            "Alert",
            "Info",
            "Warning",
            "Error",
            "Success",
            "Toast",
            "Exception",
        ):
            continue
        value = getattr(node, attribute, None)
        if isinstance(value, str) and value.strip():
            yield f"{kind}.{attribute}", value


def _headers(node: Any) -> list[str]:
    """The column headers a table shows: its ``column_config`` label where it has one (an
    editable table's frame keeps the code's names), hidden and unordered columns left out."""
    frame = node.value
    if not isinstance(frame, pd.DataFrame):
        return []
    config = json.loads(node.proto.columns or "{}")
    shown = list(node.proto.column_order) or [str(c) for c in frame.columns]
    headers = []
    for name in shown:
        settings = config.get(name) or {}
        if not settings.get("hidden"):
            headers.append(str(settings.get("label") or name))
    return headers


def visible_texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """``(what, text)`` for every text a user of ``at`` reads (see the module docstring)."""
    for root in (at.main, at.sidebar):
        for element in _TEXT_ELEMENTS:
            for node in getattr(root, element, []):
                yield from _texts_of(node)
        for widget in _WIDGETS:
            for node in getattr(root, widget, []):
                yield from _texts_of(node)
                for option in getattr(node, "options", None) or []:
                    yield f"{type(node).__name__}.option", str(option)
        for node in root.get("download_button"):
            yield "DownloadButton.label", node.proto.label
        for node in root.metric:
            yield "Metric.label", node.label
        for node in root.tabs:
            yield "Tab.label", node.label
        for node in root.expander:
            yield "Expander.label", node.label
        for node in root.dataframe:
            yield from (("Dataframe.column", header) for header in _headers(node))


def untranslated(texts: Iterable[tuple[str, str]], data: frozenset[str]) -> list[str]:
    """The texts with a Latin word that is neither data nor :data:`TECHNICAL` and no Cyrillic
    letter, as ``"what: text"``."""
    found: list[str] = []
    for what, text in texts:
        if _CYRILLIC.search(text):
            continue
        plain = _MARKUP.sub(" ", _CODE.sub(" ", text))
        words = [w.lower().strip("'’-") for w in _WORD.findall(plain)]
        left = [w for w in words if w and w not in data and w not in TECHNICAL]
        if left:
            found.append(f"{what}: {text!r}")
    return sorted(set(found))
