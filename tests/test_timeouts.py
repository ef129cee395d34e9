"""A slow or locked server database (issue #14 item 8): every wait is bounded by the query
timeout, ends in a ``DatabaseTimeout`` and, in the app, in an error panel with Retry; while
it waits, the page says "Waiting for the database…" (in Chromium).

Real servers: another session holds ``LOCK TABLE deals IN ACCESS EXCLUSIVE MODE`` on PostgreSQL
(or a row lock on MariaDB) while the app's engine, created with a 2 s timeout, reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crm_data.config import create_crm_engine, engine_timeout, statement_failed
from crm_data.demo import seed_demo
from crm_data.errors import DatabaseTimeout, DatabaseUnavailable
from crm_data.filters import Scope
from crm_data.queries.people import filter_options
from tests.support.apptest import APP
from tests.support.browser import App, wait_for_app_run
from tests.support.databases import server_url_or_skip

pytestmark = pytest.mark.services

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """This run's PostgreSQL database with the demo company XS."""
    url = server_url_or_skip("postgresql")
    engine = sa.create_engine(url)
    seed_demo(engine, size="XS", seed=5, end=END, force=True)
    engine.dispose()
    yield url


@contextmanager
def deals_locked(url: str) -> Iterator[None]:
    """Another session holds an exclusive lock on ``deals`` (nobody may even read it)."""
    holder = sa.create_engine(url)
    try:
        with holder.connect() as conn:
            conn.execute(sa.text("LOCK TABLE deals IN ACCESS EXCLUSIVE MODE"))
            yield
            conn.rollback()
    finally:
        holder.dispose()


def test_the_timeout_is_set_on_every_session(pg_url: str) -> None:
    url = sa.make_url(pg_url).update_query_dict({"options": "-c search_path=public"})
    engine = create_crm_engine(url.render_as_string(hide_password=False), timeout=2.5)
    try:
        with engine.connect() as conn:
            settings = conn.execute(
                sa.text(
                    "SELECT current_setting('statement_timeout'), "
                    "current_setting('lock_timeout'), current_setting('search_path')"
                )
            ).one()
        assert tuple(settings) == ("2500ms", "2500ms", "public")  # the URL's options kept
        assert engine_timeout(engine) == 2.5
        assert engine.pool.timeout() == 2.5
    finally:
        engine.dispose()


def test_a_locked_table_ends_in_a_database_timeout(pg_url: str) -> None:
    engine = create_crm_engine(pg_url, timeout=2)
    try:
        with deals_locked(pg_url), pytest.raises(sa.exc.OperationalError) as caught:
            filter_options(engine, Scope.everyone())  # reads deals for the owners
        error = statement_failed(caught.value, engine)
    finally:
        engine.dispose()
    assert isinstance(error, DatabaseTimeout) and isinstance(error, DatabaseUnavailable)
    assert error.seconds == 2
    assert str(error).startswith("The CRM database postgresql+psycopg://")
    assert "did not answer within 2 s: canceling statement due to " in str(error)
    assert "CRM_QUERY_TIMEOUT (now 2 s)" in error.hint


def test_no_free_connection_in_the_pool_is_a_timeout(pg_url: str) -> None:
    engine = create_crm_engine(pg_url, timeout=1)
    held = [engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]
    try:
        with pytest.raises(sa.exc.TimeoutError) as caught:
            engine.connect()
        error = statement_failed(caught.value, engine)
    finally:
        for conn in held:
            conn.close()
        engine.dispose()
    assert isinstance(error, DatabaseTimeout)
    assert "did not answer within 1 s: QueuePool limit of size 5 overflow 10 reached" in str(error)


def test_the_app_says_the_database_did_not_answer_and_retries(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", pg_url)
    monkeypatch.setenv("CRM_QUERY_TIMEOUT", "2")
    monkeypatch.setenv("CRM_TODAY", "2026-06-29")
    at = AppTest.from_file(APP, default_timeout=60)
    with deals_locked(pg_url):
        at.run()
    assert not at.exception
    assert at.error[0].value == "**The CRM database did not answer within 2 s**"
    assert "canceling statement due to" in at.code[0].value
    assert any("CRM_QUERY_TIMEOUT (now 2 s)" in m.value for m in at.markdown)
    at.button(key="db_error_retry").click().run()  # the lock is gone
    assert not at.exception and not at.error
    assert at.title[0].value == "Overview"


@pytest.mark.parametrize(
    "statement", ["SELECT SLEEP(5)", "UPDATE probe SET amount = 1 WHERE id = 1"]
)
def test_mariadb_statements_and_lock_waits_are_bounded(statement: str) -> None:
    url = server_url_or_skip("mysql")
    setup = sa.create_engine(url)
    engine = create_crm_engine(url, timeout=1.5)
    try:
        with setup.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS probe"))
            conn.execute(sa.text("CREATE TABLE probe (id INT PRIMARY KEY, amount FLOAT)"))
            conn.execute(sa.text("INSERT INTO probe VALUES (1, 0)"))
        with setup.connect() as holder:  # another session holds the row
            holder.execute(sa.text("SELECT * FROM probe WHERE id = 1 FOR UPDATE"))
            with engine.connect() as conn, pytest.raises(sa.exc.OperationalError) as caught:
                conn.execute(sa.text(statement))
            holder.rollback()
        error = statement_failed(caught.value, engine)
    finally:
        with setup.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS probe"))
        setup.dispose()
        engine.dispose()
    assert isinstance(error, DatabaseTimeout)
    assert "did not answer within 1.5 s" in str(error)


@pytest.mark.browser
def test_a_locked_table_shows_waiting_then_the_timeout_with_retry(
    pg_url: str, browser: Any, sync_api: Any, tmp_path: Path
) -> None:
    url = pg_url
    app = App(url, tmp_path / "app.log", env={"CRM_QUERY_TIMEOUT": "8"})
    try:
        app.wait_healthy()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        with deals_locked(url):
            page.goto(f"{app.base}/overview", timeout=60_000)
            waiting = page.get_by_text("Waiting for the database…")
            waiting.wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "waiting.png"))
            title = page.get_by_text("The CRM database did not answer within 8 s")
            title.wait_for(timeout=60_000)
            assert waiting.count() == 0
            page.screenshot(path=str(tmp_path / "timed_out.png"))
        page.get_by_role("button", name="Retry").click()
        page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
        wait_for_app_run(page, sync_api)
        assert title.count() == 0
        page.close()
    finally:
        app.stop()
