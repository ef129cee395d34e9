"""Logins that last and end: the login cookie of ``password`` mode, the idle timeout, the
re-check of the user, and logging out here or everywhere (issue #14 item 3).

A login lives in ``st.session_state`` (one browser tab) as a :class:`LiveSession`.  Every run:

* after ``[crm_auth] idle_minutes`` (default 60) without a run, the login ends;
* every ``recheck_seconds`` (default 120) the user is looked up again: a removed or disabled
  user, or one logged out everywhere (``app_users.session_version`` changed), is logged out;
  a changed role, employee or team takes effect;
* in ``password`` mode the browser gets a fresh login token (:mod:`access.tokens`) in the
  cookie :data:`COOKIE`, so a refresh or a new tab of the browser is still logged in for
  ``session_hours`` (default 12) after the password was entered, unless idle for longer than
  ``idle_minutes``.  ``oidc`` mode keeps Streamlit's own login cookie and only adds the checks;
  a login it ends is logged out of Streamlit too (``st.logout``).

The cookie is written by a small static script (``st.html``): Streamlit reads cookies
(``st.context.cookies``, as sent when the tab connected) but cannot set one from a script.  It
is ``Path=/``, ``SameSite=Strict``, ``Secure`` when the page is served over HTTPS, and holds
nothing but the signed token.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from access.tokens import (
    MAKE_SECRET,
    SessionToken,
    SessionUser,
    secret_problem,
    sign_token,
    verify_token,
)
from appdb.databases import Databases
from appdb.sessions import session_identity, session_user
from appdb.users import Identity, UserError, resolve_identity, revoke_sessions
from i18n import N_, _
from i18n.formatting import format_number
from ui.engine import get_databases

__all__ = [
    "COOKIE",
    "LiveSession",
    "SessionSettings",
    "can_log_out_everywhere",
    "clock",
    "log_out",
    "oidc_session",
    "password_session",
    "session_settings",
    "show_login_notice",
    "start_session",
]

#: The login cookie of ``password`` mode.
COOKIE = "crm_session"
#: Seconds since the epoch; tests put a fake clock here.
clock: Callable[[], float] = time.time

_LIVE = "auth_live_session"
_NOTICE = "auth_notice"
#: The cookie this tab connected with, once its login ended (it is not used again).
_ENDED = "auth_ended_cookie"
#: Set when the browser's login cookie is to be deleted (by the login screen's run).
_FORGET = "auth_forget_cookie"
#: Each setting: its default, the lowest and highest value allowed, and seconds per unit.
_LIMITS: dict[str, tuple[float, float, float, float]] = {
    "session_hours": (12, 1, 720, 3600),
    "idle_minutes": (60, 1, 1440, 60),
    "recheck_seconds": (120, 0, 3600, 1),
}
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9._-]*")


@dataclass(frozen=True)
class SessionSettings:
    """How long logins last (seconds) and the secret that signs login cookies.

    Attributes
    ----------
    secret : str or None
        Signs login tokens (``password`` mode only, else None).
    lifetime : float
        A password login lasts this long at most (``session_hours``).
    idle : float
        A login ends after this long without a run (``idle_minutes``).
    recheck : float
        The user is looked up again at least this often (``recheck_seconds``).
    """

    secret: str | None = None
    lifetime: float = 12 * 3600.0
    idle: float = 3600.0
    recheck: float = 120.0


def _setting(section: Mapping[str, Any], name: str) -> float:
    """A ``[crm_auth]`` number in seconds; UserError when it is not one or out of range."""
    default, low, high, unit = _LIMITS[name]
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise UserError(
            f"[crm_auth] {name} = {value!r} is not valid: use a number from {low:g} to "
            f"{high:g} in .streamlit/secrets.toml (default {default:g})."
        )
    return float(value) * unit


def _secret(crm_auth: Mapping[str, Any], auth: Mapping[str, Any]) -> str:
    """``[crm_auth] session_secret``, else ``[auth] cookie_secret``; UserError when it is
    unfit (:func:`access.tokens.secret_problem`), saying how to make one.
    """
    source, secret = "[crm_auth] session_secret", crm_auth.get("session_secret")
    if secret is None and auth.get("cookie_secret") is not None:
        source, secret = "[auth] cookie_secret", auth.get("cookie_secret")
    problem = secret_problem(secret)
    if problem is not None:
        raise UserError(
            f"The dashboard does not start: password mode signs its login cookies with {source}, "
            f"which {problem}. Make a secret with `{MAKE_SECRET}`, set it as `session_secret` "
            "under `[crm_auth]` in `.streamlit/secrets.toml`, and restart the app."
        )
    return str(secret)


def session_settings(
    crm_auth: Mapping[str, Any], auth: Mapping[str, Any], mode: str
) -> SessionSettings:
    """The session settings of the ``[crm_auth]`` and ``[auth]`` secrets sections for ``mode``.

    Raises
    ------
    UserError
        On a setting that is not a number in its range, or in ``password`` mode a missing,
        short or placeholder secret; the message says how to make one.
    """
    return SessionSettings(
        secret=_secret(crm_auth, auth) if mode == "password" else None,
        lifetime=_setting(crm_auth, "session_hours"),
        idle=_setting(crm_auth, "idle_minutes"),
        recheck=_setting(crm_auth, "recheck_seconds"),
    )


@dataclass
class LiveSession:
    """The login of this browser tab.

    Attributes
    ----------
    identity : Identity
        Who is logged in (refreshed by each re-check).
    user : SessionUser or None
        The ``app_users`` row and ``session_version`` the login belongs to; None for an OIDC
        user known only as an employee (nothing to revoke).
    expires : float
        Unix time the login ends at (``password`` mode; infinite for OIDC).
    checked_at : float
        Unix time of the last look-up of the user.
    last_run : float
        Unix time of the last run.
    renew : bool
        Whether the login cookie was written already; from then on it is only renewed while
        the browser still has it (a "Log out" in another tab deleted it).
    """

    identity: Identity
    user: SessionUser | None
    expires: float
    checked_at: float
    last_run: float
    renew: bool = False


def _live() -> LiveSession | None:
    live = st.session_state.get(_LIVE)
    return live if isinstance(live, LiveSession) else None


def _run_script(body: str, where: Any) -> None:
    """Run the static script ``body`` in the page (``where``: ``st`` or ``st.sidebar``)."""
    where.html(f"<script>{body}</script>", unsafe_allow_javascript=True)


def _write_cookie(value: str, max_age: int, where: Any, *, renew: bool = False) -> None:
    """Set (``max_age`` > 0) or delete the login cookie in the browser; ``renew`` sets it only
    if the browser still has one.
    """
    if not _COOKIE_VALUE.fullmatch(value):  # a signed token never has another character
        raise ValueError("a login cookie holds only letters, digits, '.', '-' and '_'")
    attributes = f"Path=/; Max-Age={max(max_age, 0)}; SameSite=Strict"
    write = (
        f'document.cookie = "{COOKIE}={value}; {attributes}"'
        ' + (location.protocol === "https:" ? "; Secure" : "");'
    )
    if renew:
        write = f'if (document.cookie.split("; ").some(c => c.startsWith("{COOKIE}="))) {write}'
    _run_script(write, where)


@dataclass(frozen=True)
class _Notice:
    """Why a login ended, for the login screen: an English message (``N_``) and the idle
    minutes it names, translated when shown (the language may change in between).
    """

    message: str
    minutes: float | None = None

    def text(self) -> str:
        """The notice in the language in force."""
        if self.minutes is None:
            return _(self.message)
        digits = next((d for d in (0, 1) if float(self.minutes * 10**d).is_integer()), 2)
        return _(self.message).format(minutes=format_number(self.minutes, digits))


def _end(notice: _Notice | None, *, forget_cookie: bool) -> None:
    """End this tab's login; ``notice`` is shown on the login screen.

    ``forget_cookie`` has the login screen delete the browser's login cookie (not after an idle
    timeout: another tab of the browser may still be in use and keep it fresh).  The cookie
    this tab connected with is not used again either way.
    """
    st.session_state.pop(_LIVE, None)
    st.session_state[_NOTICE] = notice
    st.session_state[_ENDED] = st.context.cookies.get(COOKIE)
    if forget_cookie:
        st.session_state[_FORGET] = True


def start_session(databases: Databases, settings: SessionSettings, identity: Identity) -> None:
    """Start this tab's login of ``identity`` (after a password check or an OIDC login)."""
    now = clock()
    user = session_user(databases.app, identity.email)
    expires = now + settings.lifetime if settings.secret is not None else math.inf
    st.session_state[_LIVE] = LiveSession(identity, user, expires, now, now)
    st.session_state.pop(_NOTICE, None)


def _ended_notice(idle: float) -> _Notice:
    """The notice of a login ended after ``idle`` seconds without a run."""
    return _Notice(
        N_("You were logged out after {minutes} min without activity. Log in again."), idle / 60
    )


_CHANGED = _Notice(
    N_(
        "Your login has ended: it expired, your account was changed or disabled, or you were "
        "logged out everywhere. Log in again."
    )
)


def _resume(
    databases: Databases, settings: SessionSettings, resolve: Callable[[str], Identity | None]
) -> tuple[Identity | None, bool]:
    """The tab's identity and whether its login ended in this run (idle, expired, re-check).

    When the re-check is due, the ``app_users`` row must still be enabled with the same
    ``session_version``, and ``resolve(email)`` gives the identity anew (None: no access).
    """
    live = _live()
    if live is None:
        return None, False
    now = clock()
    if now - live.last_run >= settings.idle:
        _end(_ended_notice(settings.idle), forget_cookie=False)
        return None, True
    if now >= live.expires:
        _end(_CHANGED, forget_cookie=True)
        return None, True
    if now - live.checked_at >= settings.recheck:
        same = live.user is None or session_user(databases.app, live.identity.email) == live.user
        identity = resolve(live.identity.email) if same else None
        if identity is None:
            _end(_CHANGED, forget_cookie=True)
            return None, True
        live.identity, live.checked_at = identity, now
    live.last_run = now
    return live.identity, False


def _restore(databases: Databases, settings: SessionSettings) -> Identity | None:
    """The login of the cookie this tab connected with, if it is valid; else None (an invalid
    cookie is deleted, with a notice when it was a genuine one that has ended).
    """
    text = st.context.cookies.get(COOKIE)
    if not text or text == st.session_state.get(_ENDED) or settings.secret is None:
        return None
    now = clock()
    token = verify_token(settings.secret, text)
    identity = (
        None if token is None or not token.live(now) else session_identity(databases, token.user)
    )
    if token is None or identity is None:
        _end(None if token is None else _CHANGED, forget_cookie=True)
        return None
    expires = min(float(token.expires), now + settings.lifetime)
    st.session_state[_LIVE] = LiveSession(identity, token.user, expires, now, now, renew=True)
    return identity


def password_session(databases: Databases, settings: SessionSettings) -> Identity | None:
    """The identity of this tab's password login, or of the browser's login cookie; None when
    the login form is due.  Every run of a login writes a fresh cookie (after the first, only
    while the browser still has one: a "Log out" in another tab is not undone).
    """
    if settings.secret is None:
        raise ValueError("password_session needs the settings of password mode (a secret)")
    identity, _ended = _resume(
        databases, settings, lambda email: resolve_identity(databases, email)
    )
    if identity is None:
        identity = _restore(databases, settings)
    live = _live()
    if identity is None or live is None or live.user is None:
        return None
    now = clock()
    idle_until = min(live.expires, now + settings.idle)
    token = SessionToken(live.user.user_id, live.user.version, int(live.expires), int(idle_until))
    text = sign_token(settings.secret, token)
    _write_cookie(text, int(live.expires - now), st.sidebar, renew=live.renew)
    live.renew = True
    return identity


def oidc_session(
    databases: Databases,
    settings: SessionSettings,
    email: str,
    resolve: Callable[[], Identity | None],
) -> Identity | None:
    """The identity of this tab's OIDC login of ``email``; None when it must be resolved
    (``resolve()``, also the re-check) and started (:func:`start_session`).  A login that ends
    (idle, re-check) is logged out of Streamlit as well, which reloads the app at its login
    screen.
    """
    live = _live()
    if live is not None and live.identity.email != email:
        st.session_state.pop(_LIVE, None)  # another account logged in through the provider
    identity, ended = _resume(databases, settings, lambda _: resolve())
    if ended:
        st.logout()
        st.stop()
    return identity


def show_login_notice(width: int | Literal["stretch"] = "stretch") -> None:
    """On the password login screen: why this tab's last login ended, if it did, and the
    deletion of the browser's login cookie when that is due.
    """
    if st.session_state.pop(_FORGET, False):
        _write_cookie("", 0, st)
    notice = st.session_state.get(_NOTICE)
    if isinstance(notice, _Notice):
        st.info(notice.text(), icon=":material/schedule:", width=width)


def can_log_out_everywhere() -> bool:
    """Whether this tab's login belongs to an ``app_users`` row (whose logins can be ended)."""
    live = _live()
    return live is not None and live.user is not None


def log_out(everywhere: bool = False) -> None:
    """End this tab's login and delete the browser's login cookie; ``everywhere`` also ends
    every other login of the user (:func:`appdb.users.revoke_sessions`).
    """
    live = _live()
    if everywhere and live is not None and live.user is not None:
        with suppress(UserError):  # removed meanwhile: no login of theirs is left to end
            revoke_sessions(get_databases(), live.identity.email, actor=live.identity)
    _end(None, forget_cookie=True)
