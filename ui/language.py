"""Which language a session sees, and the sidebar switch that changes it.

The language comes from, first to last: ``?lang=ru`` in the URL (so a shared link opens in the
sender's language), the sidebar switch (kept for the session), ``CRM_LANGUAGE``, the browser's
``Accept-Language`` (``st.context.locale``), English.  Once chosen in the URL or the switch it
stays in the URL beside the filters, so a link copied from the address bar keeps it.
"""

from __future__ import annotations

from datetime import date

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
_LAST = "_language_of_last_run"
_CHOICES = (str, int, float, date, list, tuple)  # the values of select boxes and pickers


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
    if st.session_state.get(_LAST) not in (None, language):
        _keep_widget_values()
    st.session_state[_LAST] = language
    set_language(language)
    return language


def _keep_widget_values() -> None:
    """Re-assign every widget's value after a language change.

    A select box's state travels between browser and server as its *shown* text: after a
    change of language the browser would send back "Custom range" where the options now read
    "Свой диапазон", and the widget would lose its value.  Each value, read with the last run's
    options, is put back through session state, so the widgets show it in the new language.
    Only choice-like values are put back: a button's or a toggle's ``bool`` and an editable
    table's ``dict`` of edits cannot be set (Streamlit refuses when the widget is drawn), and
    their shown state does not depend on the language.
    """
    for key in list(st.session_state):
        if not isinstance(key, str) or key.startswith("_") or key in (_CHOSEN, _SWITCH):
            continue
        try:
            value = st.session_state[key]
        except KeyError:
            continue
        if isinstance(value, _CHOICES) and not isinstance(value, bool):
            st.session_state[key] = value


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
