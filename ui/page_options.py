"""Page-level choices (a toggle, a "compare by" picker, a plan) kept in the URL like the global
filters.

A choice is read from the link on the session's first run, then the widget owns it and writes it
back; the default is left out of the URL.  A value the page does not offer is ignored (the
widget starts at its default), so a tampered link cannot select anything unexpected.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

__all__ = ["seed_from_url", "write_to_url"]


def seed_from_url(param: str, key: str, options: Sequence[object]) -> bool:
    """Before the widget ``key`` is drawn: take its value from ``?param=`` once per session.

    ``options`` are the widget's values (strings, or ids compared by their text).  Returns
    True when the link named a value that is not among them (the page may say so).
    """
    seeded = f"_seeded_{key}"
    if st.session_state.get(seeded):
        return False
    st.session_state[seeded] = True
    value = st.query_params.get(param)
    if value is None:
        return False
    match = next((option for option in options if str(option) == value), None)
    if match is None:
        return True
    st.session_state[key] = match
    return False


def write_to_url(param: str, value: object, default: object) -> None:
    """After the widget is drawn: mirror ``value`` in ``?param=`` (removed when default)."""
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)
