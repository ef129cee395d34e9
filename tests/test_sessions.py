"""Logins that last and end (issue #14 item 3): the stored session version, the settings, and
the app's re-check, idle timeout and log-out everywhere through ``AppTest`` with a fake clock.

The signed login token itself is in ``tests/test_tokens.py``; the browser side (a refresh and a
new tab stay logged in, ``users disable`` logs out) is in ``tests/test_browser.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from access.tokens import MAKE_SECRET, SessionUser
from appdb.databases import Databases
from appdb.schema import APP_USERS
from appdb.sessions import session_identity, session_user
from appdb.users import (
    COMMAND_LINE,
    UserError,
    add_user,
    authenticate,
    remove_user,
    revoke_sessions,
    set_active,
    set_password,
    set_role,
)
from crm_data.config import create_crm_engine
from tests.support.apptest import APP
from tests.support.clock import Clock
from tests.support.databases import app_databases, fresh_engine, use_app_database
from ui.session import SessionSettings, session_settings

SECRET = secrets.token_urlsafe(48)
PASSWORD = "correct horse"


# ---- the settings ---------------------------------------------------------------------------


def test_session_settings_defaults_and_units() -> None:
    settings = session_settings({"session_secret": SECRET}, {}, "password")
    assert settings == SessionSettings(SECRET, lifetime=43_200.0, idle=3_600.0, recheck=120.0)
    chosen = {"session_hours": 2, "idle_minutes": 15, "recheck_seconds": 0}
    assert session_settings(chosen, {}, "oidc") == SessionSettings(None, 7_200.0, 900.0, 0.0)


def test_password_mode_needs_a_random_secret() -> None:
    with pytest.raises(UserError, match=r"\[crm_auth\] session_secret, which is not set") as no:
        session_settings({}, {}, "password")
    assert MAKE_SECRET in str(no.value)
    weak = {
        "a long random string": "is the example file's",
        "replace-with-the-output-of-the-command-above": "is the example file's",
        "kP3x-9QmZ_r7Lw2VbN8": "is shorter than 32 characters",
        "abababababababababababababababab12": "was typed, not generated",
    }
    for secret, problem in weak.items():
        with pytest.raises(UserError, match=problem) as refused:
            session_settings({"session_secret": secret}, {}, "password")
        assert MAKE_SECRET in str(refused.value) and secret not in str(refused.value)
    # Streamlit's cookie secret serves when no session secret is set, under the same rule
    assert session_settings({}, {"cookie_secret": SECRET}, "password").secret == SECRET
    example = {"cookie_secret": "replace-with-the-output-of-the-command-above"}
    with pytest.raises(UserError, match=r"\[auth\] cookie_secret, which is the example file's"):
        session_settings({}, example, "password")
    assert session_settings({}, {}, "none").secret is None  # no login, no secret needed


@pytest.mark.parametrize(
    "name, value",
    [("session_hours", 0), ("session_hours", 721), ("idle_minutes", 0.5), ("idle_minutes", "60"),
     ("recheck_seconds", -1), ("recheck_seconds", True)],
)  # fmt: skip
def test_session_settings_out_of_range(name: str, value: object) -> None:
    with pytest.raises(UserError, match=rf"\[crm_auth\] {name} = .* is not valid"):
        session_settings({name: value, "session_secret": SECRET}, {}, "password")


# ---- the stored side, on every dialect ------------------------------------------------------


@pytest.fixture
def users(dialect: str, tmp_path: Path) -> Iterator[Databases]:
    """An empty CRM database and an app database of each dialect with an exec and an admin."""
    with fresh_engine(dialect, tmp_path) as crm, app_databases(crm, tmp_path) as databases:
        add_user(databases, "boss@example.com", "admin", actor=COMMAND_LINE, password=PASSWORD)
        add_user(databases, "eva@example.com", "exec", actor=COMMAND_LINE, password=PASSWORD)
        yield databases


def test_session_identity_follows_the_user(users: Databases) -> None:
    eva = session_user(users.app, " Eva@Example.com ")
    assert eva is not None
    identity = session_identity(users, eva)
    assert identity is not None and (identity.email, identity.role) == ("eva@example.com", "exec")
    set_role(users, "eva@example.com", "analyst", actor=COMMAND_LINE)
    assert session_identity(users, eva).role == "analyst"  # type: ignore[union-attr]
    assert session_identity(users, SessionUser(eva.user_id, eva.version + 1)) is None
    assert session_identity(users, SessionUser(eva.user_id + 1000, eva.version)) is None
    assert session_user(users.app, "nobody@example.com") is None


@pytest.mark.parametrize(
    "end",
    [
        lambda e: revoke_sessions(e, "eva@example.com", actor=COMMAND_LINE),
        lambda e: revoke_sessions(
            e, "eva@example.com", actor=authenticate(e, "eva@example.com", PASSWORD)
        ),  # the user themself: "log out everywhere"
        lambda e: set_password(e, "eva@example.com", "a new secret", actor=COMMAND_LINE),
        lambda e: set_active(e, "eva@example.com", False, actor=COMMAND_LINE),
        lambda e: remove_user(e, "eva@example.com", actor=COMMAND_LINE),
    ],
    ids=["revoke", "revoke-own", "set-password", "disable", "remove"],
)
def test_what_ends_every_login_of_a_user(users: Databases, end: object) -> None:
    eva = session_user(users.app, "eva@example.com")
    boss = session_user(users.app, "boss@example.com")
    assert eva is not None and boss is not None
    end(users)  # type: ignore[operator]
    assert session_identity(users, eva) is None
    assert session_identity(users, boss) is not None  # other users keep theirs
    now = session_user(users.app, "eva@example.com")
    assert now is None or now.version == eva.version + 1


def test_enabling_again_does_not_revive_old_logins(users: Databases) -> None:
    eva = session_user(users.app, "eva@example.com")
    set_active(users, "eva@example.com", False, actor=COMMAND_LINE)
    assert session_user(users.app, "eva@example.com") is None  # disabled: no login to start
    set_active(users, "eva@example.com", True, actor=COMMAND_LINE)
    assert eva is not None and session_identity(users, eva) is None


def test_only_an_admin_or_the_user_revokes(users: Databases) -> None:
    add_user(users, "ann@example.com", "exec", actor=COMMAND_LINE, password=PASSWORD)
    ann = authenticate(users, "ann@example.com", PASSWORD)
    assert ann is not None
    with pytest.raises(UserError, match="Only an admin"):
        revoke_sessions(users, "eva@example.com", actor=ann)
    with pytest.raises(UserError, match="There is no app user"):
        revoke_sessions(users, "nobody@example.com", actor=COMMAND_LINE)


def test_a_user_added_again_gets_none_of_the_old_logins(users: Databases) -> None:
    old = session_user(users.app, "eva@example.com")
    remove_user(users, "eva@example.com", actor=COMMAND_LINE)
    with users.app.begin() as conn:  # the same id again, as SQLite may hand out
        conn.execute(sa.delete(APP_USERS))
    add_user(users, "eva@example.com", "exec", actor=COMMAND_LINE)
    new = session_user(users.app, "eva@example.com")
    assert old is not None and new is not None and new != old
    assert session_identity(users, old) is None


# ---- the app: re-check, idle timeout, log out everywhere ------------------------------------


@pytest.fixture
def engine(
    xs_demo_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Databases]:
    """The XS database in password mode and an app database of the test's own, with the users
    eva (exec) and rita (a rep)."""
    monkeypatch.setenv("CRM_DATABASE_URL", xs_demo_url)
    monkeypatch.setenv("CRM_TODAY", "2026-06-29")
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    monkeypatch.setenv("CRM_AUTH_MODE", "password")
    databases = Databases(
        app=use_app_database(tmp_path, monkeypatch),
        crm=create_crm_engine(xs_demo_url, read_only=True),
    )
    add_user(databases, "eva@example.com", "exec", actor=COMMAND_LINE, password=PASSWORD)
    with databases.crm.connect() as conn:
        rep = conn.execute(sa.text("SELECT min(id) FROM employees WHERE role = 'rep'")).scalar()
    add_user(databases, "rita@example.com", "rep", actor=COMMAND_LINE, employee_id=rep,
             password=PASSWORD)  # fmt: skip
    yield databases
    databases.app.dispose()
    databases.crm.dispose()


def logged_in(email: str, **crm_auth: object) -> AppTest:
    """The app after ``email`` logged in with the password (settings ``crm_auth``)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["crm_auth"] = {"session_secret": SECRET, **crm_auth}
    at.run()
    at.text_input(key="auth_email").input(email)
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    return at


def role_caption(at: AppTest) -> str:
    """The sidebar's "name · role" line."""
    return next(c.value for c in at.sidebar.caption if " · " in c.value)


def on_login_screen(at: AppTest) -> bool:
    return any(box.key == "auth_password" for box in at.text_input) and not at.metric


def test_a_disabled_user_is_logged_out_at_the_recheck(
    engine: Databases, session_clock: Clock
) -> None:
    at = logged_in("eva@example.com")
    assert role_caption(at).endswith("Executive") and at.metric
    set_active(engine, "eva@example.com", False, actor=COMMAND_LINE)
    session_clock.now += 119  # the re-check (every 120 s) is not due yet: the page still loads
    at.run()
    assert at.metric and not on_login_screen(at)
    session_clock.now += 2  # now it is
    at.run()
    assert not at.exception and on_login_screen(at)
    assert "Your login has ended" in at.info[0].value
    assert "logged out everywhere" in at.info[0].value


def test_a_removed_user_is_logged_out_at_once_when_the_check_is_due(
    engine: Databases, session_clock: Clock
) -> None:
    at = logged_in("eva@example.com", recheck_seconds=0)  # a check every run
    remove_user(engine, "eva@example.com", actor=COMMAND_LINE)
    at.run()
    assert on_login_screen(at) and "Your login has ended" in at.info[0].value


def test_a_changed_role_takes_effect_at_the_recheck(
    engine: Databases, session_clock: Clock
) -> None:
    at = logged_in("rita@example.com")
    assert role_caption(at).endswith("Sales rep")
    set_role(engine, "rita@example.com", "analyst", actor=COMMAND_LINE)
    at.run()
    assert role_caption(at).endswith("Sales rep")  # until the re-check
    session_clock.now += 120
    at.run()
    assert not at.exception and role_caption(at).endswith("Analyst")
    assert "Data" in [link.label for link in at.sidebar.get("page_link")] or at.metric


def test_idle_timeout(engine: Databases, session_clock: Clock) -> None:
    at = logged_in("eva@example.com", idle_minutes=30)
    session_clock.now += 29 * 60  # active again within 30 min: still logged in
    at.run()
    assert at.metric and not on_login_screen(at)
    session_clock.now += 30 * 60
    at.run()
    assert not at.exception and on_login_screen(at)
    assert at.info[0].value == "You were logged out after 30 min without activity. Log in again."


def test_log_out_everywhere(engine: Databases, session_clock: Clock) -> None:
    first, second = logged_in("eva@example.com"), logged_in("eva@example.com")
    before = session_user(engine.app, "eva@example.com")
    assert before is not None
    first.sidebar.button(key="auth_logout_everywhere").click().run()
    assert on_login_screen(first) and not first.info  # logged out on purpose: no notice
    after = SessionUser(before.user_id, before.version + 1)
    assert session_user(engine.app, "eva@example.com") == after
    session_clock.now += 120
    second.run()
    assert on_login_screen(second) and "Your login has ended" in second.info[0].value


def test_password_mode_refuses_to_start_without_a_secret(engine: Databases) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["crm_auth"] = {"session_secret": "too short"}
    at.run()
    assert not at.exception and not at.text_input  # no login form
    assert "[crm_auth] session_secret, which is shorter than 32" in at.error[0].value
    assert MAKE_SECRET in at.error[0].value


def oidc_app(email: str, **crm_auth: object) -> AppTest:
    """The app in OIDC mode after the identity provider logged ``email`` in."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["crm_auth"] = {"mode": "oidc", **crm_auth}
    at.secrets["auth"] = {"cookie_secret": SECRET}
    at.user = {"is_logged_in": True, "email": email, "name": "Eva", "email_verified": True}
    return at.run()


def test_oidc_logins_are_rechecked_and_end_when_idle(
    engine: Databases, session_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_AUTH_MODE")
    at = oidc_app("eva@example.com")
    assert not at.exception and role_caption(at).endswith("Executive")
    assert at.sidebar.button(key="auth_logout_everywhere")  # an app_users row: revocable
    set_role(engine, "eva@example.com", "analyst", actor=COMMAND_LINE)
    session_clock.now += 120
    at.run()
    assert role_caption(at).endswith("Analyst")
    set_active(engine, "eva@example.com", False, actor=COMMAND_LINE)
    session_clock.now += 120
    at.run()  # logged out of Streamlit too: the next run is at the login button
    assert not at.exception and not at.metric and not at.user.get("is_logged_in")
    at.run()
    assert at.button(key="auth_login")

    set_active(engine, "eva@example.com", True, actor=COMMAND_LINE)
    at = oidc_app("eva@example.com", idle_minutes=10)
    session_clock.now += 10 * 60
    at.run()
    assert not at.exception and not at.metric and not at.user.get("is_logged_in")
