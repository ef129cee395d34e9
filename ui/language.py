"""Which language a session sees, and the sidebar switch that changes it.

The language comes from, first to last: ``?lang=ru`` in the URL (so a shared link opens in the
sender's language), the sidebar switch (kept for the session), ``CRM_LANGUAGE``, the browser's
``Accept-Language`` (``st.context.locale``), English.  Once chosen in the URL or the switch it
stays in the URL beside the filters, so a link copied from the address bar keeps it.
"""

from __future__ import annotations

import streamlit as st

from i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    _,
    configured_language,
    parse_language,
    set_language,
)

__all__ = ["LANGUAGE_PARAM", "choose_language", "language_switch"]

#: The URL parameter that names the language.
LANGUAGE_PARAM = "lang"
_CHOSEN = "language"  # session state: the language the URL or the switch chose
_SWITCH = "language_switch"


def _browser_language() -> str | None:
    try:
        return parse_language(st.context.locale)
    except (AttributeError, RuntimeError):  # no browser (a bare script run)
        return None


def choose_language() -> str:
    """Decide this run's language (see the module docstring), make it the one in force and
    keep an explicit choice in the URL; the language.

    A ``CRM_LANGUAGE`` the app does not speak is reported by the Data page's checks, not here:
    the app then speaks English.
    """
    from_url = parse_language(st.query_params.get(LANGUAGE_PARAM))
    if from_url is not None:
        st.session_state[_CHOSEN] = from_url
    chosen = st.session_state.get(_CHOSEN)
    if chosen is None:
        try:
            configured = configured_language()
        except ValueError:
            configured = None
        language = configured or _browser_language() or DEFAULT_LANGUAGE
    else:
        language = chosen
        if st.query_params.get(LANGUAGE_PARAM) != chosen:
            st.query_params[LANGUAGE_PARAM] = chosen
    set_language(language)
    return language


def _switched() -> None:
    language = st.session_state[_SWITCH]
    st.session_state[_CHOSEN] = language
    st.query_params[LANGUAGE_PARAM] = language


def language_switch(language: str) -> None:
    """The sidebar's language picker, showing ``language``; a change reruns the page in the new
    language with every filter kept.
    """
    st.session_state[_SWITCH] = language
    st.sidebar.selectbox(
        _("Language"),
        LANGUAGES,
        key=_SWITCH,
        format_func=LANGUAGE_NAMES.__getitem__,
        on_change=_switched,
    )
