"""Shared fixtures: database URLs per dialect, server reachability, seeded demo databases.

PostgreSQL and MariaDB tests run when the servers answer; with ``REQUIRE_SERVICES=1`` (CI) an
unreachable server fails the run instead of skipping.  Override the server URLs with
``CRM_TEST_PG_URL`` / ``CRM_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("CRM_TEST_PG_URL", "postgresql+psycopg://postgres@localhost/test")
MYSQL_URL = os.environ.get("CRM_TEST_MYSQL_URL", "mysql+pymysql://root@localhost/test")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATASETS = SHARED / "datasets"

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


def dataset_or_skip(*parts: str) -> Path:
    """Path of a file under ``../shared/datasets``; skip with the reason when it is absent."""
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"dataset {path} is absent (expected ../shared/datasets beside the checkout)")
    return path


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    """Each of the four dialects in turn."""
    return request.param


@pytest.fixture
def empty_url(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of ``dialect`` (server databases are wiped before and after)."""
    from crm_data.schema import Base

    url = url_for(dialect, tmp_path)
    if dialect in ("postgresql", "mysql"):
        engine = sa.create_engine(url)
        Base.metadata.drop_all(engine)
        engine.dispose()
    yield url
    if dialect in ("postgresql", "mysql"):
        engine = sa.create_engine(url)
        Base.metadata.drop_all(engine)
        engine.dispose()
