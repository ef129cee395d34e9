"""The app under Streamlit's ``AppTest`` on a demo database and an app database of its own,
with "today" pinned."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from appdb import upgrade
from appdb.databases import Databases
from appdb.demo_plans import make_plans
from crm_data.config import create_crm_engine
from crm_data.demo import seed_demo
from ui.engine import close_crm_engine

#: The app's entry script.
APP = str(Path(__file__).resolve().parents[2] / "app.py")
#: "Today" for the app under test: the demo data ends on 30 Jun 2026 (exclusive).
TODAY = date(2026, 6, 29)


@contextmanager
def app_database(folder: Path) -> Iterator[str]:
    """A fresh S demo database in ``folder``, which the app reads (auth mode none, no seeding)
    with "today" pinned to 29 Jun 2026, and a fresh app database beside it holding the demo's
    incentive plans (as the app's seeding leaves them), while the context lasts."""
    url = f"duckdb:///{folder / 's.duckdb'}"
    app_url = f"sqlite:///{folder / 'app.sqlite'}"
    engine, app = sa.create_engine(url), sa.create_engine(app_url)
    report = seed_demo(engine, size="S", seed=42, end=date(2026, 6, 30))
    upgrade(app)
    make_plans(Databases(app=app, crm=engine), report.end)
    engine.dispose()
    app.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRM_DATABASE_URL", url)
        mp.setenv("CRM_APP_DATABASE_URL", app_url)
        mp.setenv("CRM_TODAY", TODAY.isoformat())
        mp.setenv("CRM_AUTO_SEED", "0")
        mp.delenv("CRM_AUTH_MODE", raising=False)
        yield url


def app_database_fixtures(name: str) -> tuple[Any, Any, Any]:
    """Module-scoped ``url``, ``engine`` (the CRM database) and ``databases``
    (:class:`~appdb.databases.Databases`: the app database and the CRM database) fixtures over
    a fresh :func:`app_database`."""

    @pytest.fixture(scope="module")
    def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
        with app_database(tmp_path_factory.mktemp(name)) as url:
            yield url

    @pytest.fixture(scope="module")
    def engine(url: str) -> Iterator[sa.Engine]:
        engine = create_crm_engine(url, read_only=True)  # as the app opens it
        yield engine
        engine.dispose()

    @pytest.fixture(scope="module")
    def databases(url: str, engine: sa.Engine) -> Iterator[Databases]:
        app = sa.create_engine(os.environ["CRM_APP_DATABASE_URL"])
        yield Databases(app=app, crm=engine)
        app.dispose()

    return url, engine, databases


@contextmanager
def crm_writes(url: str, *readers: sa.Engine) -> Iterator[sa.Engine]:
    """A writing engine on the CRM database ``url`` while the app's engine (in this process)
    and ``readers`` are closed: a process opens a DuckDB file either read-only, as the app
    does, or for writing.  Both reopen on their next use.
    """
    close_crm_engine()
    for reader in readers:
        reader.dispose()
    writer = sa.create_engine(url)
    try:
        yield writer
    finally:
        writer.dispose()


def run(
    *,
    role: str | None = None,
    employee: int | None = None,
    query: dict[str, str | list[str]] | None = None,
) -> AppTest:
    """Run the app (mode none), previewing as ``role``/``employee`` when given."""
    at = AppTest.from_file(APP, default_timeout=120)
    if role is not None:
        at.session_state["auth_as_role"] = role
    if employee is not None:
        at.session_state["auth_as_employee"] = employee
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def page_in(language: str, path: str, **kwargs: Any) -> AppTest:
    """The page ``path`` run through ``app.py`` in ``language`` (``?lang=``, kept for the
    session), checked to show no exception; ``kwargs`` as for :func:`run`."""
    query = {**kwargs.pop("query", {}), "lang": language}
    at = run(query=query, **kwargs)
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    """The value of the metric card labelled ``label``."""
    return next(m.value for m in at.metric if m.label == label)


def plain(markdown: str) -> str:
    """``markdown`` without the backslashes that escape user-controlled text."""
    return re.sub(r"\\(.)", r"\1", markdown)


def messages(at: AppTest) -> list[str]:
    """The errors and successes the page shows, as plain text."""
    return [plain(e.value) for e in [*at.error, *at.success]]
