"""The app under Streamlit's ``AppTest`` on a demo database, with "today" pinned."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crm_data.demo import seed_demo

#: The app's entry script.
APP = str(Path(__file__).resolve().parents[2] / "app.py")
#: "Today" for the app under test: the demo data ends on 30 Jun 2026 (exclusive).
TODAY = date(2026, 6, 29)


@contextmanager
def app_database(folder: Path) -> Iterator[str]:
    """A fresh S demo database in ``folder``, which the app reads (auth mode none, no seeding)
    with "today" pinned to 29 Jun 2026, while the context lasts."""
    url = f"duckdb:///{folder / 's.duckdb'}"
    engine = sa.create_engine(url)
    seed_demo(engine, size="S", seed=42, end=date(2026, 6, 30))
    engine.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRM_DATABASE_URL", url)
        mp.setenv("CRM_TODAY", TODAY.isoformat())
        mp.setenv("CRM_AUTO_SEED", "0")
        mp.delenv("CRM_AUTH_MODE", raising=False)
        yield url


def app_database_fixtures(name: str) -> tuple[Any, Any]:
    """Module-scoped ``url`` and ``engine`` fixtures over a fresh :func:`app_database`."""

    @pytest.fixture(scope="module")
    def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
        with app_database(tmp_path_factory.mktemp(name)) as url:
            yield url

    @pytest.fixture(scope="module")
    def engine(url: str) -> Iterator[sa.Engine]:
        engine = sa.create_engine(url)
        yield engine
        engine.dispose()

    return url, engine


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


def metric(at: AppTest, label: str) -> str:
    """The value of the metric card labelled ``label``."""
    return next(m.value for m in at.metric if m.label == label)
