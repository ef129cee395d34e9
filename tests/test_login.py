"""The login screens through ``AppTest`` on an XS demo database (issue #14 items 1 and 2).

Password: over-long input is cut before it is hashed or counted, and the throttle's refusals
(checks at once, many failures overall) reach the form.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crm_data.demo import seed_demo
from crm_data.users import COMMAND_LINE, USERS_METADATA, add_user
from ui.auth import login_throttle

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
COOKIE_SECRET = secrets.token_urlsafe(48)
PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('login') / 'xs.duckdb'}"
    engine = sa.create_engine(url)
    seed_demo(engine, size="XS", seed=42, end=date(2026, 6, 30))
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def staff(crm_url: str) -> dict[str, tuple[int, str]]:
    """(id, e-mail) of the first rep, the head of the first team and the first exec."""
    engine = sa.create_engine(crm_url)
    queries = {
        "rep": "SELECT id, email FROM employees WHERE role = 'rep' ORDER BY id",
        "head": "SELECT e.id, e.email FROM teams t JOIN employees e ON e.id = t.head_id "
        "ORDER BY t.id",
        "exec": "SELECT id, email FROM employees WHERE role = 'exec' ORDER BY id",
    }
    with engine.connect() as conn:
        found = {role: tuple(conn.execute(sa.text(sql)).first()) for role, sql in queries.items()}
    engine.dispose()
    return found  # type: ignore[return-value]


@pytest.fixture
def app_env(crm_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """The XS database for the app (no ``app_users``), a fresh throttle."""
    monkeypatch.setenv("CRM_DATABASE_URL", crm_url)
    monkeypatch.setenv("CRM_TODAY", "2026-06-29")
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    monkeypatch.delenv("CRM_AUTH_MODE", raising=False)
    engine = sa.create_engine(crm_url)
    USERS_METADATA.drop_all(engine)
    login_throttle.clear()
    yield engine
    login_throttle.clear()
    USERS_METADATA.drop_all(engine)
    engine.dispose()


def role_caption(at: AppTest) -> str:
    """The sidebar's "name · role" line."""
    return next(c.value for c in at.sidebar.caption if " · " in c.value)


# ---- password -------------------------------------------------------------------------------


@pytest.fixture
def password_app(app_env: sa.Engine, staff: dict, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app in password mode at its login form; the rep's e-mail has the password."""
    add_user(app_env, staff["rep"][1], "rep", employee_id=staff["rep"][0], password=PASSWORD,
             actor=COMMAND_LINE)  # fmt: skip
    monkeypatch.setenv("CRM_AUTH_MODE", "password")
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["crm_auth"] = {"session_secret": COOKIE_SECRET}
    return at.run()


def submit(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="auth_email").input(email)
    at.text_input(key="auth_password").input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


def test_over_long_input_is_cut_before_anything_holds_it(
    password_app: AppTest, staff: dict
) -> None:
    """A 15 MB e-mail and a 5 MB password sent to the form (the browser's fields take 320 and
    1,024 characters) reach the script cut to those lengths: that much at most is hashed and
    counted (before issue #14 the whole e-mail was kept by the throttle)."""
    email, password = (password_app.text_input(key=key) for key in ("auth_email", "auth_password"))
    assert (email.max_chars, password.max_chars) == (320, 1024)
    email.set_value("a" * 15_000_000 + "@example.com")
    password.set_value("p" * 5_000_000)
    password_app.button[0].click().run()
    assert not password_app.exception
    assert password_app.session_state["auth_email"] == "a" * 320
    assert password_app.session_state["auth_password"] == "p" * 1024
    assert password_app.error[0].value == "Wrong e-mail or password, or the account is disabled."
    assert login_throttle().tracked() == 1  # the 320 characters
    submit(password_app, staff["rep"][1], PASSWORD)
    assert role_caption(password_app).endswith(" · Sales rep")


def test_a_fifth_password_check_at_once_is_told_to_retry(
    password_app: AppTest, staff: dict
) -> None:
    throttle = login_throttle()
    with ExitStack() as stack:  # four logins being checked elsewhere right now
        for n in range(4):
            assert stack.enter_context(throttle.attempt(f"other{n}@example.com")).allowed
        submit(password_app, staff["rep"][1], PASSWORD)
        assert password_app.error[0].value == (
            "The server is checking other logins right now. Try again in 1 s."
        )
        assert not password_app.metric
    submit(password_app, staff["rep"][1], PASSWORD)
    assert role_caption(password_app).endswith(" · Sales rep")


def test_many_failures_overall_slow_the_form_down(password_app: AppTest, staff: dict) -> None:
    throttle = login_throttle()
    for n in range(100):  # a hundred wrong passwords at a hundred e-mails, just now
        with throttle.attempt(f"guess{n}@example.com") as attempt:
            assert attempt.allowed
    submit(password_app, staff["rep"][1], PASSWORD)  # even the right one waits
    assert password_app.error[0].value.startswith(
        "Many logins are failing on this server right now, so logins are slowed down. Try again in"
    )
    assert not password_app.metric
