"""Shared fixtures: database URLs per dialect, server reachability, fresh databases.

PostgreSQL and MariaDB tests run when the servers answer; with ``REQUIRE_SERVICES=1`` (CI) an
unreachable server fails the run instead of skipping.  Override the server URLs with
``CRM_TEST_PG_URL`` / ``CRM_TEST_MYSQL_URL``.

Each test run works in databases of its own on those servers: the first server test creates
``crm_test_<pid>_<random>`` beside the configured one (whose only use is to connect), and the
end of the run drops it, so two runs at once (two developers, CI beside a local run) never
drop each other's tables.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.server_databases import (
    MYSQL_URL,
    PG_URL,
    REQUIRE_SERVICES,
    RUN_DATABASE,
    drop_run_databases,
    server_url_or_skip,
)

__all__ = ["MYSQL_URL", "PG_URL", "REQUIRE_SERVICES", "RUN_DATABASE", "server_url_or_skip"]

#: Dialects every query test runs on; the last two need servers.
DIALECTS = ("duckdb", "sqlite", "postgresql", "mysql")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the run's own server databases."""
    drop_run_databases()


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
