"""Operators' mistakes and the smaller items of issue #14 (item 10), through the app: a
read-only user of the app database saving a plan, an empty database on the Incentives page, a DuckDB
file deleted under the running app, and ``/home`` links before the login (in Chromium).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from appdb import upgrade
from appdb.databases import Databases
from appdb.demo_plans import make_plans
from crm_data.demo import seed_demo
from tests.support.apptest import APP
from tests.support.browser import App, open_page
from tests.support.databases import fresh_app_engine, server_url_or_skip

END = date(2026, 6, 30)


def run_page(page: str, timeout: float = 60) -> AppTest:
    """Run the app (auth mode none: an admin), then open ``page``."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    assert not at.exception, at.exception
    return at.switch_page(page).run()


@pytest.fixture
def xs_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DuckDB file with the demo company XS as CRM_DATABASE_URL."""
    path = tmp_path / "crm.duckdb"
    engine = sa.create_engine(f"duckdb:///{path}")
    seed_demo(engine, size="XS", seed=42, end=END)
    engine.dispose()
    monkeypatch.setenv("CRM_DATABASE_URL", f"duckdb:///{path}")
    monkeypatch.setenv("CRM_TODAY", "2026-06-29")
    return path


def test_incentives_on_an_empty_database_shows_the_no_tables_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    at = run_page("pages/incentives.py")
    assert not at.exception and not at.error
    assert at.title[0].value == "Incentives"
    assert at.info[0].value == (
        "**This database has no CRM tables yet.**  \nSeed the demo company on the Data page, or "
        "point CRM_DATABASE_URL at a database with the CRM schema."
    )


def test_a_deleted_duckdb_file_is_not_served(xs_file: Path) -> None:
    backup = xs_file.with_name("backup.duckdb")
    shutil.copy(xs_file, backup)
    at = run_page("pages/data.py")
    assert not at.error
    deals = next(m.value for m in at.metric if m.label == "Deals")
    xs_file.unlink()
    at.run()
    assert not at.exception
    assert at.error[0].value == "**Cannot open the CRM database**"
    assert at.code[0].value == (
        f"The database file {xs_file} was deleted or moved while the app was running"
    )
    assert any(m.value.startswith("**What to check:** Put the file back") for m in at.markdown)
    assert not at.metric and not xs_file.exists()  # no empty file created in its place
    shutil.copy(backup, xs_file)  # put back
    at.button(key="db_error_retry").click().run()
    assert not at.exception and not at.error
    assert next(m.value for m in at.metric if m.label == "Deals") == deals


@pytest.fixture
def read_only_app_url(xs_file: Path) -> Iterator[str]:
    """This run's PostgreSQL database as the app database, with the demo's plans of the XS CRM
    database, as a user who may only read it."""
    url = sa.make_url(server_url_or_skip("postgresql"))
    with fresh_app_engine("postgresql", xs_file.parent / "app") as owner:
        upgrade(owner)
        crm = sa.create_engine(f"duckdb:///{xs_file}")
        assert make_plans(Databases(app=owner, crm=crm), END) == 4
        crm.dispose()
        role = f"reader_{os.getpid()}"
        with owner.begin() as conn:
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
            conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD 'reader-pw'"))
            conn.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        try:
            yield url.set(username=role, password="reader-pw").render_as_string(hide_password=False)
        finally:
            with owner.begin() as conn:
                conn.execute(sa.text(f"DROP OWNED BY {role}"))
                conn.execute(sa.text(f"DROP ROLE {role}"))


@pytest.mark.services
def test_a_read_only_user_saving_a_plan_is_told_there_is_no_permission(
    read_only_app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_APP_DATABASE_URL", read_only_app_url)
    at = run_page("pages/incentives.py")
    assert not at.error
    at.button(key="inc_copy").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "No permission to save: the database refused the write (permission denied for table "
        "kpi_plans). Nothing was stored. Ask your administrator to let the dashboard's user of "
        "the app database write the plan tables (kpi_plans, kpi_plan_items, kpi_targets)."
    ]
    assert at.title[0].value == "Incentives"  # the page, not the database error panel


# ---- in Chromium ------------------------------------------------------------------------------


@pytest.mark.browser
def test_home_links_work_before_the_login_and_after(
    browser: Any, sync_api: Any, tmp_path: Path, xs_file: Path
) -> None:
    """``/home?…`` (the app's landing page) as a fresh server's first request: no "Page not
    found"; the login screen in password mode, the first page with the link's filters in mode
    none."""
    secret = secrets.token_urlsafe(48)
    password = f'[crm_auth]\nmode = "password"\nsession_secret = "{secret}"\n'
    for mode, settings in (("password", password), ("none", None)):
        app = App(f"duckdb:///{xs_file}", tmp_path / f"{mode}.log", secrets=settings)
        try:
            app.wait_healthy()
            page = open_page(browser, sync_api, f"{app.base}/home?period=last_quarter")
            page.screenshot(path=str(tmp_path / f"home_{mode}.png"))
            assert page.get_by_text("Page not found").count() == 0
            if mode == "password":
                assert page.get_by_role("button", name="Log in").count() == 1
            else:
                assert page.get_by_role("heading", name="Overview").count() == 1
                assert page.url == f"{app.base}/overview?period=last_quarter"
            page.close()
        finally:
            app.stop()
