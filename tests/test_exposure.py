"""What the screen gives away (issue #14 items 5 and 9), through ``AppTest``.

Connection details (the database URL, the driver's words) only for admins and analysts, never
before a login; mode ``none`` serves this computer only.  Exports (item 6) are tested in
``test_ui_pieces.py``, URL masking in ``test_config.py``, the browser's view of mode ``none`` at
the end of ``test_browser.py``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit import config
from streamlit.testing.v1 import AppTest

from tests.support.apptest import APP, app_database_fixtures, run
from tests.support.databases import url_for
from ui.auth import login_throttle
from ui.exposure import ALLOW_REMOTE_VAR, LOCAL_NOTE, OPEN_NOTE

#: An unreachable server, its password given as psycopg's ``?password=``.
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/crmdb?password=s3cretpw"
GENERIC = "**The dashboard cannot reach its database.**"

url, engine, databases = app_database_fixtures("exposure")


def screen(at: AppTest) -> str:
    """Every text the run put on the screen (main area and sidebar), one per line."""
    kinds = ("title", "markdown", "caption", "code", "error", "warning", "info", "success")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def database_caption(at: AppTest) -> str | None:
    return next((c.value for c in at.sidebar.caption if c.value.startswith("Database:")), None)


@pytest.mark.parametrize(
    ("role", "sees"),
    [("admin", True), ("analyst", True), ("exec", False), ("head", False), ("rep", False)],
)
def test_the_database_url_is_shown_to_admins_and_analysts_only(
    role: str, sees: bool, url: str, engine: sa.Engine
) -> None:
    with engine.connect() as conn:
        rep, head = conn.execute(
            sa.text("SELECT (SELECT min(id) FROM employees WHERE role = 'rep'), "
                    "(SELECT min(head_id) FROM teams)")
        ).one()  # fmt: skip
    at = run(role=role, employee={"rep": rep, "head": head}.get(role))
    assert not at.exception
    assert at.title[0].value == "Overview"
    if sees:
        assert database_caption(at) == f"Database: `{url}`"
    else:
        assert database_caption(at) is None
        assert url.removeprefix("duckdb:///") not in screen(at)


def _error_panel(role: str | None) -> None:
    """Draw the error of an unreachable server for a user of ``role`` (run by AppTest)."""
    from crm_data.errors import DatabaseUnavailable
    from ui.errors import show_crm_error

    error = DatabaseUnavailable(
        "postgresql+psycopg://bob:***@db.internal:5432/crm",
        'connection to server at "db.internal" failed: Connection refused',
        "Check that the server is running.",
    )
    show_crm_error(error, role)


@pytest.fixture
def error_log() -> Iterator[list[str]]:
    """What ``ui.errors`` logs meanwhile."""
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("ui.errors")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("role", "sees"),
    [("admin", True), ("analyst", True), ("exec", False), ("head", False), ("rep", False),
     (None, False)],
)  # fmt: skip
def test_the_error_panel_names_the_database_to_admins_and_analysts_only(
    role: str | None, sees: bool, error_log: list[str]
) -> None:
    at = AppTest.from_function(_error_panel, args=(role,)).run()
    assert not at.exception
    text = screen(at)
    assert ("db.internal" in text) is sees
    assert ("Connection refused" in text) is sees
    if not sees:
        assert at.error[0].value == GENERIC
        assert "ask your administrator" in at.markdown[0].value
    assert at.button(key="db_error_retry").label == "Retry"
    # the administrator finds the details in the log, whoever saw the error
    assert error_log == [
        "DatabaseUnavailable: Cannot open the CRM database "
        "postgresql+psycopg://bob:***@db.internal:5432/crm: connection to server at "
        '"db.internal" failed: Connection refused. Check that the server is running.'
    ]


def test_before_the_login_an_unreachable_database_is_not_described(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("CRM_AUTH_MODE", "password")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.error[0].value == GENERIC
    text = screen(at)
    for detail in ("crmdb", "127.0.0.1", "nobody", "s3cretpw", "refused", "CRM_DATABASE_URL"):
        assert detail not in text
    at.button(key="db_error_retry").click().run()
    assert at.error[0].value == GENERIC


def test_mode_none_shows_the_admin_the_masked_query_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", UNREACHABLE)
    monkeypatch.delenv("CRM_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.error[0].value == "**Cannot open the CRM database**"
    assert "**Database:** `postgresql+psycopg://nobody@127.0.0.1:1/crmdb?password=***`" in [
        m.value for m in at.markdown
    ]
    assert "s3cretpw" not in screen(at)


@pytest.mark.services
def test_a_nul_in_the_e_mail_shows_no_connection_details(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PostgreSQL refuses text with a NUL byte; the login form must not turn that into a
    description of the database for someone who has not logged in."""
    server = sa.make_url(url_for("postgresql", tmp_path))
    # the users on PostgreSQL too (the app makes the tables); no user needed: the e-mail is
    # looked up first
    monkeypatch.setenv("CRM_APP_DATABASE_URL", server.render_as_string(hide_password=False))
    monkeypatch.setenv("CRM_DATABASE_URL", server.update_query_dict({"password": "s3cretpw"})
                       .render_as_string(hide_password=False))  # fmt: skip
    monkeypatch.setenv("CRM_AUTH_MODE", "password")
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    login_throttle.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets["crm_auth"] = {"session_secret": secrets.token_urlsafe(48)}
        at.run()
        at.text_input(key="auth_email").input("exec\x00@example.com")
        at.text_input(key="auth_password").input("correct horse")
        at.button[0].click().run()
    finally:
        login_throttle.clear()
    assert not at.exception
    assert not at.metric  # not logged in
    text = screen(at)
    for detail in (str(server.database), "postgres", "s3cretpw", "NUL", "localhost"):
        assert detail not in text
    # refused before any query, saying what is wrong with the input
    assert [e.value for e in at.error] == [
        "The e-mail holds a character no e-mail address has: check it."
    ]


@pytest.fixture
def server_address() -> Iterator[None]:
    """Restore Streamlit's ``server.address`` option after the test."""
    before = config.get_option("server.address")
    yield
    config.set_option("server.address", before)


def test_mode_none_says_it_serves_this_computer_only(url: str) -> None:
    at = run()
    assert not at.exception
    assert f":material/lock: {LOCAL_NOTE}" in [c.value for c in at.sidebar.caption]


@pytest.mark.usefixtures("server_address")
def test_mode_none_refuses_to_listen_beyond_this_computer(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.set_option("server.address", "0.0.0.0")
    at = run()
    assert not at.exception
    assert not at.metric and not at.sidebar.caption  # nothing served, no page menu either
    assert at.warning[0].value == (
        "**Local mode serves this computer only.** In auth mode `none` every visitor is an "
        "admin, but the server is set to listen on 0.0.0.0 (server.address), not only on this "
        "computer."
    )
    assert f"`{ALLOW_REMOTE_VAR}=1`" in at.markdown[0].value
    # an explicit opt-in serves it, with a warning in the sidebar
    monkeypatch.setenv(ALLOW_REMOTE_VAR, "1")
    at = run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert at.sidebar.warning[0].value == OPEN_NOTE
