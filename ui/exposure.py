"""Who can reach the dashboard in auth mode ``none``, where every visitor is an admin.

Mode ``none`` is for one person on their own computer.  ``.streamlit/config.toml`` binds the
server to 127.0.0.1, and :func:`guard_local_mode` shows nothing but a refusal when

* the server is set to listen on another address (``server.address``: ``0.0.0.0``, a network
  address, a unix socket a proxy serves),
* the browser connects from another computer (possible when ``server.address`` is not set, e.g.
  the app started from another folder than the project's), or
* the request came through a reverse proxy (it sent ``Forwarded``/``X-Forwarded-For``/...),

unless ``CRM_ALLOW_REMOTE_NONE=1`` says that everyone who can reach the server may see and do
everything.  The operator on this computer reads why and what to do; a visitor from elsewhere
reads only that the dashboard opens on its own computer, and the reason goes to the log.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.logger import get_logger

from i18n import N_, _
from ui.registry import navigation_pages

__all__ = [
    "ALLOW_REMOTE_VAR",
    "FORWARDING_HEADERS",
    "LOCAL_NOTE",
    "OPEN_NOTE",
    "exposure_problem",
    "guard_local_mode",
    "is_loopback",
    "local_mode_note",
    "remote_allowed",
]

#: Set to ``1`` to serve other computers in mode ``none`` (every visitor is an admin).
ALLOW_REMOTE_VAR = "CRM_ALLOW_REMOTE_NONE"
#: Headers a reverse proxy adds (lower case, as Streamlit's headers are looked up).
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
LOCAL_NOTE = N_("Local mode: only this computer can open the dashboard.")
OPEN_NOTE = N_(
    "**Open mode**: everyone who can reach this server is an admin. Set up logins before "
    'sharing it (README, "Deployment").'
)
#: Why a request is refused (:func:`exposure_problem`), English (the log's) and translated
#: with ``i18n._`` on the refusal page.
_LISTENS_EVERYWHERE = N_(
    "the server is set to listen on every address (server.address), not only on this computer"
)
_LISTENS_ON = N_(
    "the server is set to listen on {address} (server.address), not only on this computer"
)
_ELSEWHERE = N_("the browser connects from {address}, another computer")
_PROXIED = N_("the request came through a proxy (it sent {header})")

_LOG = get_logger(__name__)


def is_loopback(address: str) -> bool:
    """Whether ``address`` (a host name or an IP address) is this computer only.

    Examples
    --------
    >>> [is_loopback(a) for a in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2")]
    [True, True, True, True, True]
    >>> [is_loopback(a) for a in ("0.0.0.0", "", "192.0.2.2", "unix:///run/crm.sock")]
    [False, False, False, False]
    """
    host = address.strip().removeprefix("[").removesuffix("]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_allowed() -> bool:
    """Whether ``CRM_ALLOW_REMOTE_NONE=1`` lets mode ``none`` serve other computers."""
    return os.environ.get(ALLOW_REMOTE_VAR, "").strip() == "1"


def exposure_problem(
    address: str | None, client_ip: str | None, headers: Mapping[str, str]
) -> str | None:
    """Why a request must not be served in mode ``none`` (in English, for the log; the refusal
    page translates it), or ``None`` when it may be.

    Parameters
    ----------
    address : str or None
        The ``server.address`` option (``None``: not set, the server listens everywhere).
    client_ip : str or None
        The browser's address (``None``: this computer, as ``st.context.ip_address`` says).
    headers : mapping
        The request's headers.

    Examples
    --------
    >>> exposure_problem("127.0.0.1", None, {}) is None
    True
    >>> exposure_problem("0.0.0.0", None, {})
    'the server is set to listen on 0.0.0.0 (server.address), not only on this computer'
    >>> exposure_problem(None, "192.0.2.7", {})
    'the browser connects from 192.0.2.7, another computer'
    >>> exposure_problem("127.0.0.1", None, {"X-Forwarded-For": "203.0.113.9"})
    'the request came through a proxy (it sent x-forwarded-for)'
    """
    problem = _problem(address, client_ip, headers)
    return None if problem is None else problem[0].format(**problem[1])


def _problem(
    address: str | None, client_ip: str | None, headers: Mapping[str, str]
) -> tuple[str, dict[str, str]] | None:
    """:func:`exposure_problem` as an English message (``N_``) and the values it names."""
    if address is not None and not is_loopback(address):
        return (_LISTENS_ON, {"address": address}) if address else (_LISTENS_EVERYWHERE, {})
    if client_ip is not None and not is_loopback(client_ip):
        return _ELSEWHERE, {"address": client_ip}
    sent = {name.lower() for name in headers}
    proxied = next((name for name in FORWARDING_HEADERS if name in sent), None)
    if proxied is not None:
        return _PROXIED, {"header": proxied}
    return None


def _client_ip() -> str | None:
    """The browser's address, ``None`` for this computer (or where Streamlit cannot tell)."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) else None


@st.cache_resource(show_spinner=False)
def _announce(address: str | None, allowed: bool) -> None:
    """Say once per server process (and configuration) whom mode ``none`` serves."""
    if allowed:
        _LOG.warning(
            "Auth mode none with %s=1: every visitor who can reach this server is an admin.",
            ALLOW_REMOTE_VAR,
        )
    elif address is None:
        _LOG.warning(
            "Auth mode none: server.address is not set, so the server listens on every "
            "address; only a browser on this computer is served. Start the app from the "
            "project folder (its .streamlit/config.toml binds 127.0.0.1) or pass "
            "--server.address 127.0.0.1."
        )
    elif is_loopback(address):
        _LOG.info("Auth mode none (local mode): serving this computer only (%s).", address)
    else:
        _LOG.error(
            "Auth mode none on server.address %r: every request is refused. Bind 127.0.0.1, "
            "set CRM_AUTH_MODE to password or oidc, or set %s=1.",
            address,
            ALLOW_REMOTE_VAR,
        )


def _refuse(reason: str, operator: bool) -> None:
    """The refusal in place of the app: why (``reason``, translated) and what to do for the
    operator on this computer, that the dashboard opens on its own computer for anyone else.
    """
    st.title(_("CRM Analytics"), anchor=False)
    if not operator:
        st.warning(
            _(
                "**This dashboard opens only on the computer it runs on.** Ask the person who "
                "runs it to set up logins."
            ),
            icon=":material/lock:",
        )
        return
    st.warning(
        _(
            "**Local mode serves this computer only.** In auth mode `none` every visitor is an "
            "admin, but {reason}."
        ).format(reason=reason),
        icon=":material/lock:",
    )
    st.markdown(
        _(
            "Do one of these and restart the app:\n"
            "- keep it on this computer: `--server.address 127.0.0.1` (the project's "
            "`.streamlit/config.toml` sets it);\n"
            "- share it with logins: `CRM_AUTH_MODE=password` or `oidc` behind HTTPS (README, "
            '"Deployment");\n'
            "- share it without logins, if everyone who can reach this server may see and do "
            "everything: `{variable}=1`."
        ).format(variable=ALLOW_REMOTE_VAR)
    )


def guard_local_mode() -> None:
    """In mode ``none``: stop the run with a refusal when the request must not be served
    (see :func:`exposure_problem`), unless :func:`remote_allowed`.
    """
    address = st.get_option("server.address")
    allowed = remote_allowed()
    _announce(address, allowed)
    if allowed:
        return
    client_ip = _client_ip()
    headers = st.context.headers
    problem = _problem(address, client_ip, headers)
    if problem is None:
        return
    message, values = problem
    _LOG.warning("Auth mode none: refused a request: %s.", message.format(**values))
    operator = exposure_problem(None, client_ip, headers) is None  # on this computer, directly
    st.navigation(navigation_pages(), position="hidden")  # no page list, no "Page not found"
    _refuse(_(message).format(**values), operator)
    st.stop()


def local_mode_note(where: DeltaGenerator) -> None:
    """The sidebar note of mode ``none`` in ``where`` (e.g. ``st.sidebar``): local, or open to
    everyone.
    """
    if remote_allowed():
        where.warning(_(OPEN_NOTE), icon=":material/public:")
    else:
        where.caption(f":material/lock: {_(LOCAL_NOTE)}")
