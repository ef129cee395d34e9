"""Databases for the tests: the four dialects, fresh databases, this run's own server databases.

PostgreSQL and MariaDB tests run when the servers answer; with ``REQUIRE_SERVICES=1`` (CI) an
unreachable server fails the run instead of skipping.  The configured URLs
(``CRM_TEST_PG_URL`` / ``CRM_TEST_MYSQL_URL``, default database ``test``) are only used to
connect: the first server test creates ``crm_test_<pid>_<random>`` beside that database and the
end of the run drops it (``conftest.pytest_sessionfinish``), so two runs at once (two
developers, CI beside a local run) never drop each other's tables.  A test that reaches a
server must carry the ``services`` mark (``conftest.py`` sets it for the server dialects of a
parametrized test); :func:`server_url_or_skip` fails a test that lacks it, so the fast loop
(``-m "not services"``) never needs a server.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from crm_data.demo import seed_demo

PG_URL = os.environ.get("CRM_TEST_PG_URL", "postgresql+psycopg://postgres@localhost/test")
MYSQL_URL = os.environ.get("CRM_TEST_MYSQL_URL", "mysql+pymysql://root@localhost/test")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

#: This run's own database name on each server (created on first use, dropped at the end).
RUN_DATABASE = f"crm_test_{os.getpid()}_{secrets.token_hex(3)}"
_RUN_URLS: dict[str, str] = {}

#: Dialects every query test runs on; the last two need servers.
DIALECTS = ("duckdb", "sqlite", "postgresql", "mysql")
SERVER_DIALECTS = ("postgresql", "mysql")

#: The marks of the test being set up or run (see :func:`record_marks`).
_marks: set[str] = set()


def record_marks(marks: Iterable[str]) -> None:
    """Remember the marks of the test that is set up now (``conftest.py`` calls this)."""
    _marks.clear()
    _marks.update(marks)


def _server_database(url: str, statement: str) -> None:
    """Run ``statement`` (CREATE or DROP DATABASE) on the server of ``url``, outside a
    transaction."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def server_url_or_skip(dialect: str) -> str:
    """This run's own database on the ``dialect`` server (created on first use) if the server
    answers, else skip (or fail under REQUIRE_SERVICES); a test without the ``services`` mark
    fails here."""
    if "services" not in _marks:
        pytest.fail(f"this test uses the {dialect} server: mark it @pytest.mark.services")
    if dialect in _RUN_URLS:
        return _RUN_URLS[dialect]
    url = PG_URL if dialect == "postgresql" else MYSQL_URL
    try:
        _server_database(url, f"CREATE DATABASE {RUN_DATABASE}")
    except Exception as exc:
        message = f"{dialect} server not reachable at {url}: {exc.__class__.__name__}: {exc}"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (REQUIRE_SERVICES=1)")
        pytest.skip(message)
    own = sa.make_url(url).set(database=RUN_DATABASE).render_as_string(hide_password=False)
    _RUN_URLS[dialect] = own
    return own


def drop_run_databases() -> None:
    """Drop the run's own server databases (on PostgreSQL closing their connections first)."""
    for dialect in _RUN_URLS:
        if dialect == "postgresql":
            _server_database(PG_URL, f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)")
        else:
            _server_database(MYSQL_URL, f"DROP DATABASE IF EXISTS {RUN_DATABASE}")
    _RUN_URLS.clear()


def url_for(dialect: str, folder: Path) -> str:
    """A fresh database URL of ``dialect``: a file in ``folder`` for embedded ones."""
    if dialect == "duckdb":
        return f"duckdb:///{folder / 'crm.duckdb'}"
    if dialect == "sqlite":
        return f"sqlite:///{folder / 'crm.sqlite'}"
    return server_url_or_skip(dialect)


@contextmanager
def fresh_engine(
    dialect: str, folder: Path, metadata: sa.MetaData | None = None
) -> Iterator[sa.Engine]:
    """An engine on an empty database of ``dialect`` (a new file in ``folder`` when embedded).

    The tables of ``metadata`` (default: the CRM schema) are dropped before and after (on a
    server: in this run's own database); the engine is disposed of afterwards.
    """
    from crm_data.schema import Base

    tables = metadata or Base.metadata
    engine = sa.create_engine(url_for(dialect, folder))
    tables.drop_all(engine)
    try:
        yield engine
    finally:
        tables.drop_all(engine)
        engine.dispose()


@contextmanager
def fresh_app_engine(dialect: str, folder: Path) -> Iterator[sa.Engine]:
    """An engine on an empty app database of ``dialect`` (a new file in ``folder`` when
    embedded): the app tables (:mod:`appdb.schema`) and Alembic's version table are dropped
    before and after.
    """
    from appdb.schema import METADATA

    version = sa.Table("alembic_version", sa.MetaData())
    folder.mkdir(parents=True, exist_ok=True)
    with fresh_engine(dialect, folder, metadata=METADATA) as engine:
        version.drop(engine, checkfirst=True)
        try:
            yield engine
        finally:
            version.drop(engine, checkfirst=True)


def use_app_database(folder: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    """A fresh SQLite app database in ``folder`` at the latest revision, made the app's
    (``CRM_APP_DATABASE_URL``) for the test; its engine (disposed of by the caller)."""
    from appdb import upgrade

    url = f"sqlite:///{folder / 'app.sqlite'}"
    monkeypatch.setenv("CRM_APP_DATABASE_URL", url)
    engine = sa.create_engine(url)
    upgrade(engine)
    return engine


@contextmanager
def app_databases(crm: sa.Engine, folder: Path) -> Iterator[Any]:
    """:class:`appdb.databases.Databases` of the CRM database ``crm`` and a fresh app database
    of the same dialect (a file in ``folder / "app"`` when embedded; on a server this run's
    own database, beside the CRM tables), at the latest revision.
    """
    from appdb import upgrade
    from appdb.databases import Databases

    with fresh_app_engine(crm.dialect.name, folder / "app") as app:
        upgrade(app)
        yield Databases(app=app, crm=crm)


@contextmanager
def hold_duckdb_lock(path: Path, read_only: bool = False) -> Iterator[None]:
    """Keep the DuckDB file ``path`` open in another process meanwhile: for writing (holding
    its lock, as a seeding does), or ``read_only`` (as the running app does)."""
    script = (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(path)!r}, read_only={read_only})\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.communicate("\n", timeout=30)


def scenario_fixture(build: Callable[[], Any]) -> Any:
    """A module-scoped ``crm`` fixture: the hand-built CRM ``build()`` (a
    :class:`tests.support.crm_builder.CrmBuilder`) loaded into a fresh database of every
    dialect of :data:`DIALECTS`, once per module and dialect."""

    @pytest.fixture(scope="module", params=DIALECTS)
    def crm(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[sa.Engine]:
        with fresh_engine(request.param, tmp_path_factory.mktemp(request.param)) as engine:
            yield build().load(engine)

    return crm


#: The default end of the demo databases of :func:`demo_fixture`.
DEMO_END = date(2026, 7, 1)


def demo_fixture(name: str, *, size: str = "S", seed: int = 42, end: date = DEMO_END) -> Any:
    """A module-scoped ``engine`` fixture: a fresh demo database (``seed_demo`` of ``size``,
    ``seed`` and ``end``) in DuckDB, in a folder named ``name``."""

    @pytest.fixture(scope="module")
    def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
        engine = sa.create_engine(f"duckdb:///{tmp_path_factory.mktemp(name) / 'demo.duckdb'}")
        seed_demo(engine, size=size, seed=seed, end=end)
        yield engine
        engine.dispose()

    return engine
