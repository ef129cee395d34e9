"""Page-level choices (a toggle, a "compare by" picker) kept in the URL like the global filters.

A choice is read from the link on the session's first run, then the widget owns it and writes it
back; the default is left out of the URL.  A value the page does not offer is ignored (the
widget starts at its default), so a tampered link cannot select anything unexpected.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

__all__ = ["seed_from_url", "write_to_url"]


def seed_from_url(param: str, key: str, options: Sequence[str]) -> None:
    """Before the widget ``key`` is drawn: take its value from ``?param=`` once per session."""
    seeded = f"_seeded_{key}"
    if st.session_state.get(seeded):
        return
    st.session_state[seeded] = True
    value = st.query_params.get(param)
    if value is not None and value in options:
        st.session_state[key] = value


def write_to_url(param: str, value: str, default: str) -> None:
    """After the widget is drawn: mirror ``value`` in ``?param=`` (removed when default)."""
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value
