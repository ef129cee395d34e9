"""Page-level choices (a toggle, a "compare by" picker, a plan) kept in the URL like the global
filters.

A choice is read from the link on the session's first run, then the widget owns it and writes it
back; the default is left out of the URL.  A value the page does not offer is ignored (the
widget starts at its default), so a tampered link cannot select anything unexpected.

A widget whose value is seeded here gets its default through the session state too
(``default=``), never as its own ``default`` argument as well: Streamlit warns about a widget
"created with a default value but also set via the Session State API".
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

__all__ = ["seed_from_url", "write_to_url"]


def seed_from_url(
    param: str,
    key: str,
    options: Sequence[object],
    default: object = None,
    *,
    many: bool = False,
) -> bool:
    """Before the widget ``key`` is drawn: take its value from ``?param=`` once per session.

    Parameters
    ----------
    param, key : str
        The query parameter and the widget's key.
    options : sequence
        The widget's values (strings, or ids compared by their text).
    default : optional
        The widget's value when neither the link nor the user set one (also after the widget
        was off the page for a run, which drops its state); the widget itself then takes no
        ``default``.  None: the widget's own default applies.
    many : bool
        A multiselect: ``?param=`` repeated, the known values kept in the link's order.

    Returns
    -------
    bool
        True when the link named a value that is not among ``options`` (the page may say so).
    """
    seeded = f"_seeded_{key}"
    unknown = False
    if not st.session_state.get(seeded):
        st.session_state[seeded] = True
        values = st.query_params.get_all(param)
        if values:
            by_text = {str(option): option for option in options}
            matches = [by_text[value] for value in values if value in by_text]
            unknown = len(matches) < len(values)
            if matches:
                st.session_state[key] = matches if many else matches[0]
    if default is not None and key not in st.session_state:
        st.session_state[key] = default
    return unknown


def write_to_url(param: str, value: object, default: object) -> None:
    """After the widget is drawn: mirror ``value`` in ``?param=`` (removed when default); a
    list is written as the parameter repeated.
    """
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
        return
    texts = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if st.query_params.get_all(param) != texts:
        st.query_params[param] = texts if isinstance(value, list) else texts[0]
