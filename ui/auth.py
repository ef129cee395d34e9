"""Who is using the app: the auth modes, the login screens, and "preview as" for admins.

Modes (``CRM_AUTH_MODE``, else ``mode`` under ``[crm_auth]`` in ``.streamlit/secrets.toml``,
else ``none``):

``none``      local single user, an admin; may preview the app as any role or employee.
``oidc``      Streamlit's ``st.login`` against the provider in the ``[auth]`` secrets section
              (refused at start with a ``cookie_secret`` anyone could know:
              :func:`check_cookie_secret`); the e-mail, which the provider must have verified
              (``email_verified``), is mapped to a role and employee by
              :func:`appdb.users.resolve_identity`.  Role claims count only when
              ``[crm_auth] role_claims = true``, from the pinned ``issuer``, for the roles in
              ``allowed_roles``, and they can only lower the role the database gives.
``password``  e-mail and password checked against ``app_users`` (argon2 hashes; manage them
              with ``python -m appdb users``); attempts are throttled per e-mail, per
              client address and overall, and at most a few passwords are checked at once
              (:class:`access.throttle.LoginThrottle`).

In both login modes :mod:`ui.session` keeps the login (a signed cookie in ``password`` mode),
ends it when idle, and looks the user up again every few minutes.

:func:`current_identity` runs in ``app.py`` before the page registry is built, so a role only
ever gets the pages it may open.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from access.claims import CLAIMABLE_ROLES
from access.passwords import EMAIL_LENGTH, MAX_PASSWORD_LENGTH, credentials_problem
from access.roles import (
    ROLES,
    EmployeeRole,
    Role,
    can_preview,
    needs_employee,
    needs_headed_team,
    role_label,
)
from access.throttle import LoginThrottle
from access.tokens import MAKE_SECRET, secret_problem
from appdb.databases import Databases
from appdb.schema import NAME_LENGTH
from appdb.users import (
    Identity,
    UserError,
    authenticate,
    identity_for_employee,
    resolve_identity,
)
from crm_data.queries.people import people
from i18n import N_, _
from reports.names import names_by_id
from ui.format import escape_markdown
from ui.registry import PAGES, home_pages, menu_order
from ui.session import (
    SessionSettings,
    can_log_out_everywhere,
    log_out,
    oidc_session,
    password_session,
    session_settings,
    show_login_notice,
    start_session,
)

__all__ = [
    "AUTH_MODES",
    "LOCAL_ADMIN",
    "AuthSettings",
    "auth_settings",
    "check_cookie_secret",
    "current_identity",
    "login_throttle",
    "logout_button",
]

AUTH_MODES = ("none", "oidc", "password")
ENV_VAR = "CRM_AUTH_MODE"
#: The user of mode ``none`` (the name in English; :func:`current_identity` translates it).
LOCAL_ADMIN = Identity(
    email="local", name=N_("Local admin"), role=Role.ADMIN, employee_id=None, team_id=None
)


@dataclass(frozen=True)
class AuthSettings:
    """The auth configuration.

    Attributes
    ----------
    mode : str
        One of :data:`AUTH_MODES`.
    role_claim : str
        The ID-token claim holding roles (``oidc``).
    provider : str or None
        A named provider section (``[auth.<provider>]``), else ``[auth]`` itself.
    role_claims : bool
        Whether role claims count at all (off unless switched on).
    issuer : str or None
        The pinned issuer: claims of tokens from any other ``iss`` are ignored.
    allowed_roles : tuple of str
        The roles a claim may name.
    """

    mode: str = "none"
    role_claim: str = "roles"
    provider: str | None = None
    role_claims: bool = False
    issuer: str | None = None
    allowed_roles: tuple[str, ...] = ()


def _secrets_section(name: str) -> Mapping[str, Any]:
    try:
        section = st.secrets.get(name, {})
    except Exception:  # no secrets file at all, or an unreadable one: no configuration
        return {}
    return section if isinstance(section, Mapping) else {}


def check_cookie_secret(secret: object) -> None:
    """Refuse an ``[auth] cookie_secret`` anyone could know or guess
    (:func:`access.tokens.secret_problem`): Streamlit signs its login cookie with it, so
    with a known secret anyone can forge a login, without the identity provider.

    Raises
    ------
    UserError
        Naming what is wrong and how to make a secret.
    """
    problem = secret_problem(secret)
    if problem is not None:
        raise UserError(
            "The dashboard does not start: OIDC logins are signed with `cookie_secret` under "
            f"`[auth]`, which {problem}, so a login could be forged. Make a secret with "
            f"`{MAKE_SECRET}`, set it as `cookie_secret` under `[auth]` in "
            "`.streamlit/secrets.toml`, and restart the app."
        )


def _role_claim_settings(section: Mapping[str, Any]) -> tuple[bool, str | None, tuple[str, ...]]:
    """``role_claims``, ``issuer`` and ``allowed_roles`` of ``[crm_auth]``, checked."""
    switched_on = section.get("role_claims", False)
    if not isinstance(switched_on, bool):
        raise UserError("[crm_auth] role_claims must be true or false (without quotes).")
    if not switched_on:
        return False, None, ()
    issuer = section.get("issuer")
    if not isinstance(issuer, str) or not issuer.strip():
        raise UserError(
            "[crm_auth] role_claims = true needs `issuer`: the `iss` of your identity provider's "
            "ID tokens (the `issuer` of its /.well-known/openid-configuration), so that no other "
            "issuer's claims count."
        )
    allowed = section.get("allowed_roles")
    roles = allowed if isinstance(allowed, list) else []
    named = tuple(str(role).strip().lower() for role in roles)
    if not named or any(role not in CLAIMABLE_ROLES for role in named):
        raise UserError(
            "[crm_auth] role_claims = true needs `allowed_roles`: a list of the roles a claim may "
            f"name, of {', '.join(CLAIMABLE_ROLES)} (admin comes from an app user only), e.g. "
            'allowed_roles = ["rep", "head"].'
        )
    return True, issuer.strip(), named


def auth_settings() -> AuthSettings:
    """Read the auth settings.

    Raises
    ------
    UserError
        On an unknown mode (naming the valid ones); in mode ``oidc`` also on a weak
        ``cookie_secret`` (:func:`check_cookie_secret`) or incomplete role-claim settings.
    """
    section = _secrets_section("crm_auth")
    mode = (os.environ.get(ENV_VAR) or str(section.get("mode", "none"))).strip().lower()
    if mode not in AUTH_MODES:
        raise UserError(
            f"Unknown auth mode {mode!r} (from {ENV_VAR} or [crm_auth] mode); "
            f"use one of {', '.join(AUTH_MODES)}."
        )
    provider = section.get("provider")
    settings = AuthSettings(
        mode, str(section.get("role_claim", "roles")), provider and str(provider)
    )
    if mode != "oidc":
        return settings
    check_cookie_secret(_secrets_section("auth").get("cookie_secret"))
    role_claims, issuer, allowed = _role_claim_settings(section)
    return replace(settings, role_claims=role_claims, issuer=issuer, allowed_roles=allowed)


def _login_screen(draw: Callable[[], None]) -> NoReturn:
    """Show ``draw`` in place of every page (hidden navigation) and stop.

    Every page URL is registered, each drawing the login screen, so a shared link keeps its
    path and filters through the login (password mode) and no "page not found" appears.
    Calling ``st.navigation`` also keeps Streamlit out of its legacy ``pages/`` mode, which
    would otherwise list the page files in the sidebar.
    """
    pages = home_pages(draw, _("Log in"))
    pages += [st.Page(draw, title=_(spec.title), url_path=spec.url_path) for spec in PAGES]
    st.navigation(pages, position="hidden").run()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _stop_with(message: str, settings: AuthSettings) -> NoReturn:
    """An access message (translated) in place of the app, and a log-out button; stops the
    run.
    """

    def denied() -> None:
        st.title(_("CRM Analytics"), anchor=False)
        st.warning(message, icon=":material/lock:")
        logout_button(settings, st)

    _login_screen(denied)


#: Browser tab storage key of the link opened before an OIDC login.
_AFTER_LOGIN = "crm_after_login"
#: Remembers the page and filters of the link being opened (the identity provider sends the
#: browser back to the app's root, which lands on the first page): static code, nothing from
#: the URL is written into it; a link to the root or the first page without filters is not
#: kept (the login lands there anyway).
_REMEMBER_LINK = f"""<script>
(() => {{
  const path = window.location.pathname, query = window.location.search;
  const plain = ["/", "/home", "/{menu_order()[0].url_path}"];
  if (query === "" && plain.includes(path)) {{
    sessionStorage.removeItem("{_AFTER_LOGIN}");
  }} else {{
    sessionStorage.setItem("{_AFTER_LOGIN}", path + query);
  }}
}})();
</script>"""
#: After the login: back to the remembered link (a same-origin path only), once.
_RESTORE_LINK = f"""<script>
(() => {{
  const target = sessionStorage.getItem("{_AFTER_LOGIN}");
  sessionStorage.removeItem("{_AFTER_LOGIN}");
  const here = window.location.pathname + window.location.search;
  if (target && target.startsWith("/") && !target.startsWith("//") && target !== here) {{
    window.location.replace(target);
  }}
}})();
</script>"""


def _verified_email(user: Mapping[str, Any], settings: AuthSettings) -> str:
    """The ID token's e-mail if the provider verified it (``email_verified`` true; the string
    "true" of some providers counts); else the run stops saying which claim is missing or false.
    """
    email = user.get("email")
    if not isinstance(email, str) or not email.strip():
        _stop_with(
            _(
                "Your identity provider sent no e-mail address (the ID token's `email` claim), "
                "so the dashboard cannot tell who you are. Ask an admin to have the provider "
                "send it (the `email` scope)."
            ),
            settings,
        )
    if problem := credentials_problem(email, ""):
        _stop_with(problem, settings)
    shown = escape_markdown(email.strip())
    verified = user.get("email_verified")
    if verified is None:
        _stop_with(
            _(
                "Your identity provider did not say whether **{email}** is verified (the ID "
                "token has no `email_verified` claim), so it cannot be used to log in. Ask an "
                "admin to have the provider send `email_verified`."
            ).format(email=shown),
            settings,
        )
    if verified is not True and str(verified).strip().lower() != "true":
        _stop_with(
            _(
                "Your identity provider has not verified **{email}** (`email_verified` is "
                "false), so it cannot be used to log in. Verify the address with the provider, "
                "then log in again."
            ).format(email=shown),
            settings,
        )
    return email


def _role_claims(user: Mapping[str, Any], settings: AuthSettings) -> str | list[Any] | tuple[()]:
    """The token's role claim (a list, or a string of roles separated by commas), if role
    claims are switched on and the token comes from the pinned issuer; else no claims.
    """
    if not settings.role_claims or user.get("iss") != settings.issuer:
        return ()
    claim = user.get(settings.role_claim)
    return claim if isinstance(claim, str | list) else ()


def _oidc_identity(
    databases: Databases, settings: AuthSettings, sessions: SessionSettings
) -> Identity:
    """The OIDC user's identity; a shared link opened before the login is reopened after it
    (its page and filters, kept in the browser tab's session storage).
    """
    user = st.user
    if not user.get("is_logged_in", False):

        def login() -> None:
            st.html(_REMEMBER_LINK, unsafe_allow_javascript=True)
            st.title(_("CRM Analytics"), anchor=False)
            st.write(_("Log in with your company account to see the dashboard."))
            if st.button(_("Log in"), type="primary", icon=":material/login:", key="auth_login"):
                st.login(settings.provider) if settings.provider else st.login()

        _login_screen(login)
    email = _verified_email(user, settings)

    def resolve() -> Identity | None:
        return resolve_identity(
            databases,
            email,
            name=str(user.get("name") or "")[:NAME_LENGTH] or None,
            claim_roles=_role_claims(user, settings),
            allowed_claims=settings.allowed_roles,
        )

    identity = oidc_session(databases, sessions, email.strip().lower(), resolve)
    if identity is not None:
        return identity
    identity = resolve()
    if identity is None:
        shown = escape_markdown(email)
        denied = (
            _(
                "**{email}** has no access to the dashboard. Ask an admin to add you "
                "(`python -m appdb users add`)."
            ).format(email=shown)
            if shown
            else _(
                "**This account** has no access to the dashboard. Ask an admin to add you "
                "(`python -m appdb users add`)."
            )
        )
        _stop_with(denied, settings)
    st.sidebar.html(_RESTORE_LINK, unsafe_allow_javascript=True)  # the session's first run
    start_session(databases, sessions, identity)
    return identity


@st.cache_resource(show_spinner=False)
def login_throttle() -> LoginThrottle:
    """The app server's password-login throttle (one for every session)."""
    return LoginThrottle()


def _client_address() -> str | None:
    """The address the app server sees the browser at (None on this computer, or when there
    is none, e.g. under AppTest); behind a proxy on this computer, the address it forwards.
    """
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def _password_identity(databases: Databases, sessions: SessionSettings) -> Identity:
    identity = password_session(databases, sessions)
    if identity is not None:
        return identity

    def login() -> None:
        st.title(_("CRM Analytics"), anchor=False)
        show_login_notice(width=420)
        with st.form("auth_password_form", border=True, width=420):
            st.subheader(_("Log in"), anchor=False)
            # the browser takes no more, and Streamlit cuts a longer value sent by other means
            # on the server before the script sees it: no more is ever held
            email = st.text_input(
                _("E-mail"), key="auth_email", autocomplete="username", max_chars=EMAIL_LENGTH
            )
            password = st.text_input(
                _("Password"),
                type="password",
                key="auth_password",
                autocomplete="current-password",
                max_chars=MAX_PASSWORD_LENGTH,
            )
            submitted = st.form_submit_button(_("Log in"), type="primary", icon=":material/login:")
        if not submitted:
            return
        if problem := credentials_problem(email, password):
            st.error(problem, width=420)
            return
        with login_throttle().attempt(email, _client_address()) as attempt:
            if not attempt.allowed:
                st.error(attempt.message, width=420)
                return
            found = authenticate(databases, email, password)
            if found is not None:
                attempt.succeeded()
        if found is None:
            st.error(_("Wrong e-mail or password, or the account is disabled."), width=420)
        else:
            start_session(databases, sessions, found)
            st.rerun()

    _login_screen(login)


@st.cache_data(ttl="15m", max_entries=16, show_spinner=False)
def _people(url: str, version: int, _engine: Engine) -> pd.DataFrame:
    return people(_engine)


def _preview_identity(engine: Engine, version: int, admin: Identity) -> Identity:
    """The "preview as" box of ``admin``: a role and, for reps and heads, an employee of the
    CRM database ``engine``.
    """
    roles = {role: role_label(role) for role in ROLES}  # translated now, not when formatted
    with st.sidebar.expander(_("Preview as"), icon=":material/visibility:"):
        role = st.selectbox(
            _("Role"),
            list(ROLES),
            index=ROLES.index(Role.ADMIN),
            format_func=roles.__getitem__,
            key="auth_as_role",
        )
        if role is None:  # cannot happen: a role is always picked
            return admin
        if not needs_employee(role):
            if can_preview(role):  # an admin previews as themself
                return admin
            name = _("Preview as {role}").format(role=roles[role].lower())
            return Identity("preview", name, role, None, None)
        staff = _people(str(engine.url), version, engine)
        if needs_headed_team(role):
            staff = staff[staff["heads_team_id"].notna()]
        else:
            staff = staff[staff["role"] == EmployeeRole.REP]
        if staff.empty:
            st.caption(_("No employee has the role {role}.").format(role=roles[role].lower()))
            return admin
        names = names_by_id(staff, "employee_id")
        employee = st.selectbox(
            _("Employee"),
            list(names),
            format_func=lambda picked: names[picked],
            key="auth_as_employee",
        )
        if employee is None:  # cannot happen: an employee is always picked
            return admin
        try:
            return identity_for_employee(engine, int(employee), role)
        except UserError as exc:
            st.caption(str(exc))
            return admin


def current_identity(databases: Databases, settings: AuthSettings, version: int) -> Identity:
    """The identity this run works for (users in the app database, employees in the CRM
    database); draws the login screen and stops when there is none.

    An admin (every user in mode ``none``) may preview the app as another role or employee;
    the preview's identity is returned then.

    Raises
    ------
    UserError
        On invalid session settings, e.g. ``password`` mode without a secret
        (:func:`ui.session.session_settings`).
    """
    if settings.mode != "none":
        crm_auth, auth = _secrets_section("crm_auth"), _secrets_section("auth")
        sessions = session_settings(crm_auth, auth, settings.mode)
    if settings.mode == "oidc":
        identity = _oidc_identity(databases, settings, sessions)
    elif settings.mode == "password":
        identity = _password_identity(databases, sessions)
    else:
        identity = replace(LOCAL_ADMIN, name=_(LOCAL_ADMIN.name))
    if can_preview(identity.role):
        return _preview_identity(databases.crm, version, identity)
    return identity


def logout_button(settings: AuthSettings, where: Any) -> None:
    """A "Log out" button (modes oidc and password) in ``where`` (e.g. ``st.sidebar``), and
    "Log out everywhere" for a user of ``app_users`` (ends their logins in every browser).
    """
    if settings.mode == "none":
        return
    here = where.button(_("Log out"), icon=":material/logout:", key="auth_logout")
    everywhere = can_log_out_everywhere() and where.button(
        _("Log out everywhere"),
        icon=":material/devices_off:",
        key="auth_logout_everywhere",
        help=_("End your logins in every browser and tab, e.g. after using a shared computer."),
    )
    if here or everywhere:
        log_out(everywhere=everywhere)
        if settings.mode == "oidc":
            st.logout()
        st.rerun()
