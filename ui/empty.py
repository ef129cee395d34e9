"""The empty state: what is missing and what to do about it, instead of a blank chart."""

from __future__ import annotations

import streamlit as st

__all__ = ["empty_state"]


def empty_state(what: str, hint: str) -> None:
    """Say that ``what`` has no data and what the user can do (``hint``)."""
    st.info(f"**{what}**  \n{hint}", icon=":material/inbox:")
