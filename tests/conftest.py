"""Shared fixtures: database URLs per dialect, server reachability, fresh databases.

PostgreSQL and MariaDB tests run when the servers answer; with ``REQUIRE_SERVICES=1`` (CI) an
unreachable server fails the run instead of skipping.  Override the server URLs with
``CRM_TEST_PG_URL`` / ``CRM_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("CRM_TEST_PG_URL", "postgresql+psycopg://postgres@localhost/test")
MYSQL_URL = os.environ.get("CRM_TEST_MYSQL_URL", "mysql+pymysql://root@localhost/test")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

#: Dialects every query test runs on; the last two need servers.
DIALECTS = ("duckdb", "sqlite", "postgresql", "mysql")


def server_url_or_skip(dialect: str) -> str:
    """The server URL for ``dialect`` if it answers, else skip (or fail under REQUIRE_SERVICES)."""
    url = PG_URL if dialect == "postgresql" else MYSQL_URL
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        message = f"{dialect} server not reachable at {url}: {exc.__class__.__name__}: {exc}"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return url


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

    The tables of ``metadata`` (default: the CRM schema) are dropped before and after, which
    wipes the shared server databases; the engine is disposed of afterwards.
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
def hold_duckdb_lock(path: Path) -> Iterator[None]:
    """Keep the DuckDB file ``path`` open in another process (holding its lock) meanwhile."""
    script = (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(path)!r})\n"
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


def scenario_fixture(build: Callable[[], Any]) -> Any:
    """A module-scoped ``crm`` fixture: the hand-built CRM ``build()`` (a
    :class:`tests.crm_builder.CrmBuilder`) loaded into a fresh database of every dialect of
    :data:`DIALECTS`, once per module and dialect."""

    @pytest.fixture(scope="module", params=DIALECTS)
    def crm(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[sa.Engine]:
        with fresh_engine(request.param, tmp_path_factory.mktemp(request.param)) as engine:
            yield build().load(engine)

    return crm
