"""The login screens through ``AppTest`` on an XS demo database (issue #14 items 1 and 2).

OIDC: the e-mail must be verified, role claims count only when switched on (pinned issuer,
allowlist) and only lower the database's role, and the app refuses to start with a cookie
secret anyone could know.  Password: over-long input is refused with a message before it is
hashed or counted, and the throttle's refusals (checks at once, many failures overall) reach
the form.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from access.tokens import EXAMPLE_SECRETS, MAKE_SECRET
from appdb.databases import Databases
from appdb.users import COMMAND_LINE, UserError, add_user
from crm_data.config import create_crm_engine
from tests.support.apptest import APP
from tests.support.databases import use_app_database
from tests.support.oidc_provider import example_cookie_secret
from ui.auth import check_cookie_secret, login_throttle
from ui.format import escape_markdown

ROOT = Path(__file__).resolve().parents[1]
COOKIE_SECRET = secrets.token_urlsafe(48)
ISSUER = "https://idp.example.com"
PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def staff(xs_demo_url: str) -> dict[str, tuple[int, str]]:
    """(id, e-mail) of the first rep, the head of the first team and the first exec."""
    engine = create_crm_engine(xs_demo_url, read_only=True)
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
def app_env(
    xs_demo_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Databases]:
    """The XS database for the app, an app database of the test's own (no users), a fresh
    throttle."""
    monkeypatch.setenv("CRM_DATABASE_URL", xs_demo_url)
    monkeypatch.setenv("CRM_TODAY", "2026-06-29")
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    monkeypatch.delenv("CRM_AUTH_MODE", raising=False)
    databases = Databases(
        app=use_app_database(tmp_path, monkeypatch),
        crm=create_crm_engine(xs_demo_url, read_only=True),
    )
    login_throttle.clear()
    yield databases
    login_throttle.clear()
    databases.app.dispose()
    databases.crm.dispose()


def role_caption(at: AppTest) -> str:
    """The sidebar's "name · role" line."""
    return next(c.value for c in at.sidebar.caption if " · " in c.value)


# ---- OIDC -----------------------------------------------------------------------------------


def oidc_run(
    claims: dict[str, Any], cookie_secret: str = COOKIE_SECRET, **crm_auth: Any
) -> AppTest:
    """The app in OIDC mode for a user whose ID token holds ``claims`` (``iss`` is ISSUER)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"cookie_secret": cookie_secret}
    at.secrets["crm_auth"] = {"mode": "oidc", **crm_auth}
    at.user = {"is_logged_in": True, "iss": ISSUER, **claims}
    at.run()
    assert not at.exception
    return at


def refused(at: AppTest) -> str:
    """The access message of a refused login (nothing of the dashboard is drawn)."""
    assert not at.metric
    assert len(at.warning) == 1
    return str(at.warning[0].value)


def test_an_unverified_email_does_not_log_in(app_env: Databases, staff: dict) -> None:
    """A token with the head's e-mail but ``email_verified: false`` used to log in as the head."""
    head = staff["head"][1]
    at = oidc_run({"email": head, "email_verified": False, "name": "Mallory"})
    assert refused(at) == (
        f"Your identity provider has not verified **{escape_markdown(head)}** (`email_verified` "
        "is false), so it cannot be used to log in. Verify the address with the provider, then "
        "log in again."
    )
    assert at.button(key="auth_logout")  # a way out, to log in with another account
    for unverified in ("false", 0, "no", ""):
        at = oidc_run({"email": head, "email_verified": unverified})
        assert "`email_verified` is false" in refused(at)
    # a provider that sends no email_verified at all: refused, the claim named
    at = oidc_run({"email": head, "name": "Mallory"})
    assert refused(at) == (
        f"Your identity provider did not say whether **{escape_markdown(head)}** is verified "
        "(the ID token has no `email_verified` claim), so it cannot be used to log in. Ask an "
        "admin to have the provider send `email_verified`."
    )
    at = oidc_run({"email_verified": True, "name": "No Mail"})
    assert "sent no e-mail address (the ID token's `email` claim)" in refused(at)
    at = oidc_run({"email": "a" * 400 + "@example.com", "email_verified": True})
    assert refused(at) == "The e-mail is longer than 320 characters: check it."
    # verified (a boolean, or the string some providers send): the head's dashboard
    for verified in (True, "true", "TRUE"):
        at = oidc_run({"email": head.upper(), "email_verified": verified})
        assert role_caption(at).endswith(" · Sales head")


def test_role_claims_are_ignored_unless_switched_on(app_env: Databases, staff: dict) -> None:
    """A stranger claiming admin used to become Admin; so did a rep claiming admin."""
    stranger = oidc_run(
        {"email": "mallory@evil.example", "email_verified": True, "roles": ["admin"]}
    )
    assert refused(stranger).startswith("**mallory@evil\\.example** has no access")
    rep = oidc_run({"email": staff["rep"][1], "email_verified": True, "roles": ["admin"]})
    assert role_caption(rep).endswith(" · Sales rep")
    assert rep.metric  # the rep's own dashboard
    # a role_claim setting alone switches nothing on
    rep = oidc_run(
        {"email": staff["rep"][1], "email_verified": True, "groups": "exec"}, role_claim="groups"
    )
    assert role_caption(rep).endswith(" · Sales rep")


def test_switched_on_role_claims_lower_from_the_pinned_issuer(
    app_env: Databases, staff: dict
) -> None:
    on = {"role_claims": True, "issuer": ISSUER, "allowed_roles": ["rep", "exec"]}
    head = {"email": staff["head"][1], "email_verified": True, "roles": ["rep"]}
    assert role_caption(oidc_run(head, **on)).endswith(" · Sales rep")  # lowered
    # another issuer's claims do not count
    other = oidc_run({**head, "iss": "https://other.example.com"}, **on)
    assert role_caption(other).endswith(" · Sales head")
    # "head" is not in the allowlist
    only_heads = {**on, "allowed_roles": ["head"]}
    assert role_caption(oidc_run(head, **only_heads)).endswith(" · Sales head")
    # never raised: the rep claiming exec stays a rep
    rep = {"email": staff["rep"][1], "email_verified": True, "roles": ["exec"]}
    assert role_caption(oidc_run(rep, **on)).endswith(" · Sales rep")
    # a stranger is let in as an exec only because the allowlist and the issuer say so
    stranger = {"email": "cfo@partner.example", "email_verified": True, "roles": "exec"}
    assert role_caption(oidc_run(stranger, **on)) == "cfo@partner\\.example · Executive"
    assert "has no access" in refused(oidc_run({**stranger, "iss": "https://evil.example"}, **on))
    # a provider's long name is cut to 200 characters; a claim that is no list or string counts
    # for nothing
    long_name = oidc_run({**stranger, "name": "N" * 5000}, **on)
    assert role_caption(long_name) == "N" * 200 + " · Executive"
    for odd in (7, {"role": "exec"}, None):
        assert role_caption(oidc_run({**rep, "roles": odd}, **on)).endswith(" · Sales rep")


@pytest.mark.parametrize(
    ("crm_auth", "message"),
    [
        ({"role_claims": "true"}, "[crm_auth] role_claims must be true or false"),
        ({"role_claims": True, "allowed_roles": ["rep"]}, "role_claims = true needs `issuer`"),
        ({"role_claims": True, "issuer": ISSUER}, "role_claims = true needs `allowed_roles`"),
        (
            {"role_claims": True, "issuer": ISSUER, "allowed_roles": ["rep", "admin"]},
            "of exec, head, rep, analyst (admin comes from an app user only)",
        ),
        ({"role_claims": True, "issuer": ISSUER, "allowed_roles": "rep"}, "a list of the roles"),
    ],
)
def test_incomplete_role_claim_settings_stop_the_app(
    app_env: Databases, staff: dict, crm_auth: dict[str, Any], message: str
) -> None:
    at = oidc_run({"email": staff["rep"][1], "email_verified": True}, **crm_auth)
    assert message in at.error[0].value
    assert not at.metric


PUBLIC = "is the example file's, which anyone can read"
TYPED = "was typed, not generated (few different characters)"


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (example_cookie_secret(), PUBLIC),
        ("a long random string", PUBLIC),  # the example's before issue #14
        (secrets.token_urlsafe(23), "is shorter than 32 characters"),
        ("ab" * 20, TYPED),
        ("", "is not set"),
    ],
)
def test_a_cookie_secret_anyone_could_know_stops_the_app(
    app_env: Databases, staff: dict, secret: str, problem: str
) -> None:
    at = oidc_run({"email": staff["exec"][1], "email_verified": True}, cookie_secret=secret)
    assert at.error[0].value == (
        "The dashboard does not start: OIDC logins are signed with `cookie_secret` under "
        f"`[auth]`, which {problem}, so a login could be forged. Make a secret with "
        f"`{MAKE_SECRET}`, set it as `cookie_secret` under `[auth]` in "
        "`.streamlit/secrets.toml`, and restart the app."
    )
    assert not at.metric
    assert not at.sidebar.caption  # nobody is logged in


def test_check_cookie_secret() -> None:
    assert example_cookie_secret() in EXAMPLE_SECRETS
    check_cookie_secret(secrets.token_urlsafe(24))  # 32 characters
    check_cookie_secret(secrets.token_hex(16))  # 32 hexadecimal digits
    for weak in (None, 42, "", "x" * 100, secrets.token_urlsafe(23)):
        with pytest.raises(UserError, match=re.escape(MAKE_SECRET)):
            check_cookie_secret(weak)


# ---- password -------------------------------------------------------------------------------


@pytest.fixture
def password_app(app_env: Databases, staff: dict, monkeypatch: pytest.MonkeyPatch) -> AppTest:
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
