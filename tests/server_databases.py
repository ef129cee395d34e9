"""This test run's own databases on the PostgreSQL and MariaDB servers.

The configured URLs (``CRM_TEST_PG_URL`` / ``CRM_TEST_MYSQL_URL``, default database ``test``)
are only used to connect: the first server test creates ``crm_test_<pid>_<random>`` beside that
database and the end of the run drops it (``conftest.pytest_sessionfinish``), so two runs at
once never drop each other's tables.  A module of its own, imported by one name everywhere,
because pytest loads ``conftest.py`` under a second name, with its own module state.
"""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("CRM_TEST_PG_URL", "postgresql+psycopg://postgres@localhost/test")
MYSQL_URL = os.environ.get("CRM_TEST_MYSQL_URL", "mysql+pymysql://root@localhost/test")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

#: This run's own database name on each server (created on first use, dropped at the end).
RUN_DATABASE = f"crm_test_{os.getpid()}_{secrets.token_hex(3)}"
_RUN_URLS: dict[str, str] = {}


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
    answers, else skip (or fail under REQUIRE_SERVICES)."""
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
