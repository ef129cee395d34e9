"""Fixtures and hooks of the whole suite; the helpers they use live in ``tests/support/``.

Marks (the tiers of CONTRIBUTING.md): a test parametrized over a server dialect (PostgreSQL,
MariaDB) gets ``services``, a test that uses the ``browser`` fixtures gets ``browser``; other
tests that reach a server carry ``services`` themselves (:func:`server_url_or_skip` fails them
otherwise), and tests over about 5 s carry ``slow``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import ui.session
from crm_data.demo import seed_demo
from tests.support.browser import CHROMIUM, LAUNCH_ARGS, browser_or_skip
from tests.support.clock import Clock
from tests.support.databases import (
    DIALECTS,
    SERVER_DIALECTS,
    drop_run_databases,
    fresh_engine,
    record_marks,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the server dialects' parametrizations ``services`` and Chromium tests ``browser``."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and set(SERVER_DIALECTS) & {
            value for value in callspec.params.values() if isinstance(value, str)
        }:
            item.add_marker(pytest.mark.services)
        if "sync_api" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tell the server helpers whether the test about to run may use a server."""
    record_marks(mark.name for mark in item.iter_markers())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the run's own server databases."""
    drop_run_databases()


@pytest.fixture(scope="session", autouse=True)
def app_database_of_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point ``CRM_APP_DATABASE_URL`` at an app database of this run (apps started by the tests
    and their subprocesses never open ``data/app.sqlite``); tests with users of their own set
    their own (:func:`tests.support.databases.use_app_database`)."""
    folder = tmp_path_factory.mktemp("app_database")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_APP_DATABASE_URL", f"sqlite:///{folder / 'app.sqlite'}")
        yield


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    """Each of the four dialects in turn."""
    return request.param


@pytest.fixture
def empty_engine(dialect: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database of each dialect (see :func:`fresh_engine`)."""
    with fresh_engine(dialect, tmp_path) as engine:
        yield engine


@pytest.fixture
def empty_url(empty_engine: sa.Engine) -> str:
    """The URL (password included) of :func:`empty_engine`'s database."""
    return empty_engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def sync_api() -> Any:
    """Playwright's sync API, or skip (fail under ``REQUIRE_BROWSER=1``)."""
    return browser_or_skip()


@pytest.fixture(scope="module")
def browser(sync_api: Any) -> Iterator[Any]:
    """Debian's Chromium, headless, for the module's tests."""
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def session_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A fake clock ``ui.session`` reads the time from (logins, idle timeout, re-checks)."""
    fake = Clock()
    monkeypatch.setattr(ui.session, "clock", fake)
    return fake


@pytest.fixture(scope="module")
def xs_demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB file seeded with the XS demo (seed 42, data up to 30 Jun 2026), one per test
    module."""
    url = f"duckdb:///{tmp_path_factory.mktemp('xs_demo') / 'xs.duckdb'}"
    engine = sa.create_engine(url)
    seed_demo(engine, size="XS", seed=42, end=date(2026, 6, 30))
    engine.dispose()
    return url
