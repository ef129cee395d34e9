"""The app database (``appdb``): its URL, its Alembic versions on every dialect, and the import
from the previous layout, where the app tables lived in the CRM database.

The app database supports SQLite (the default), PostgreSQL and MySQL/MariaDB; DuckDB works too
(``appdb.migrate`` gives Alembic DuckDB's operations), so every test runs on the four dialects
the project supports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import appdb
from appdb.config import DEFAULT_URL, ENV_VAR, create_app_engine, resolve_url
from appdb.migrate import FIRST_REVISION, current_revision, head_revision, upgrade
from appdb.previous_layout import MOVED_STORES, PLAN_STORE, USER_STORE, import_previous_layout
from appdb.schema import APP_USERS, FIRST_TABLES, ITEMS, METADATA, PLANS, TARGETS
from crm_data.config import PROJECT_ROOT
from crm_data.errors import DatabaseUnavailable
from tests.support.databases import DIALECTS, SERVER_DIALECTS, fresh_app_engine

TABLE_NAMES = {
    "app_users",
    "kpi_plans",
    "kpi_plan_items",
    "kpi_targets",
    "forecasts",
    "import_log",
}
NOW = datetime(2025, 3, 1, 9, 30)

USER = {
    "id": 7,
    "email": "ada@example.com",
    "name": "Ada Admin",
    "role": "admin",
    "employee_id": None,
    "password_hash": None,
    "active": True,
    "created_at": NOW,
    "updated_at": NOW,
    "session_version": 42,
}
PLAN_V1 = {
    "id": 3,
    "plan_key": "north-q1",
    "version": 1,
    "name": "North Q1",
    "period_start": date(2025, 1, 1),
    "period_end": date(2025, 4, 1),
    "team_id": 1,
    "on_target_bonus": 1000.0,
    "created_at": NOW,
    "created_by": 10,
}
PLAN_V2 = {**PLAN_V1, "id": 5, "version": 2, "name": "North Q1 (raised)", "on_target_bonus": 1500.0}
ITEM_V1 = {
    "id": 11,
    "plan_id": 3,
    "metric_key": "calls",
    "weight": 100.0,
    "target": 100.0,
    "threshold": 0.5,
    "cap": 1.5,
    "accelerator": None,
}
ITEM_V2 = {**ITEM_V1, "id": 12, "plan_id": 5, "target": 120.0}
TARGET_V1 = {"id": 21, "item_id": 11, "employee_id": 11, "target": 90.0}
TARGET_V2 = {"id": 22, "item_id": 12, "employee_id": 11, "target": 110.0}
ROWS: dict[sa.Table, list[dict[str, Any]]] = {
    APP_USERS: [USER],
    PLANS: [PLAN_V1, PLAN_V2],
    ITEMS: [ITEM_V1, ITEM_V2],
    TARGETS: [TARGET_V1, TARGET_V2],
}


@pytest.fixture
def app_engine(dialect: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty app database of each dialect."""
    with fresh_app_engine(dialect, tmp_path / "app") as engine:
        yield engine


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def insert_rows(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table, rows in ROWS.items():
            conn.execute(table.insert(), rows)


def stored_rows(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            table.name: [
                dict(row) for row in conn.execute(sa.select(table).order_by(table.c.id)).mappings()
            ]
            for table in FIRST_TABLES
        }


def expected_rows() -> dict[str, list[dict[str, Any]]]:
    return {table.name: rows for table, rows in ROWS.items()}


# ---- the URL ----------------------------------------------------------------------------------


def test_default_url_is_sqlite_in_the_project_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert f"sqlite:///{PROJECT_ROOT}/data/app.sqlite" == DEFAULT_URL
    assert resolve_url(secrets_file=tmp_path / "missing.toml") == DEFAULT_URL


def test_url_from_argument_then_environment_then_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[connections.crm]\nurl = "duckdb:///crm.duckdb"\n'
        '[connections.app]\nurl = "postgresql+psycopg://app@db/crm_app"\n'
    )
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_url(secrets_file=secrets) == "postgresql+psycopg://app@db/crm_app"
    monkeypatch.setenv(ENV_VAR, "mysql+pymysql://app@db/crm_app")
    assert resolve_url(secrets_file=secrets) == "mysql+pymysql://app@db/crm_app"
    assert resolve_url("sqlite:///x.sqlite", secrets_file=secrets) == "sqlite:///x.sqlite"


def test_engine_creates_the_folder_of_an_embedded_file(tmp_path: Path) -> None:
    engine = create_app_engine(f"sqlite:///{tmp_path / 'new' / 'app.sqlite'}")
    try:
        assert (tmp_path / "new").is_dir()
        upgrade(engine)
        assert (tmp_path / "new" / "app.sqlite").is_file()
    finally:
        engine.dispose()


def test_engine_error_masks_the_password() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        create_app_engine("nosuchdialect://app:s3cret@db/crm_app")
    assert "s3cret" not in str(caught.value)
    assert "app:***@db/crm_app" in str(caught.value)


# ---- versions ---------------------------------------------------------------------------------


def test_upgrade_from_an_empty_database(app_engine: sa.Engine) -> None:
    assert current_revision(app_engine) is None
    upgrade(app_engine)
    assert current_revision(app_engine) == head_revision() == "0003"
    # (a server's database of the run may hold other tests' tables too)
    assert TABLE_NAMES | {"alembic_version"} <= table_names(app_engine)
    insert_rows(app_engine)
    assert stored_rows(app_engine) == expected_rows()


def test_migrations_make_the_tables_of_the_schema(app_engine: sa.Engine) -> None:
    """What the migrations create is what ``appdb.schema`` declares (Alembic's comparison;
    duckdb-engine cannot reflect columns, so DuckDB is left out)."""
    if app_engine.dialect.name == "duckdb":
        pytest.skip("duckdb-engine cannot reflect columns")
    upgrade(app_engine)
    with app_engine.connect() as conn:
        ours = {  # a server's database of the run may hold other tests' tables too
            "compare_type": True,
            "include_name": lambda name, kind, _: kind != "table" or name in TABLE_NAMES,
        }
        context = MigrationContext.configure(conn, opts=ours)
        assert compare_metadata(context, METADATA) == []


def test_upgrade_twice_changes_nothing(app_engine: sa.Engine) -> None:
    upgrade(app_engine)
    insert_rows(app_engine)
    upgrade(app_engine)
    assert current_revision(app_engine) == head_revision()
    assert stored_rows(app_engine) == expected_rows()


def test_upgrade_from_the_first_revision_keeps_the_rows(app_engine: sa.Engine) -> None:
    upgrade(app_engine, FIRST_REVISION)
    insert_rows(app_engine)
    upgrade(app_engine)
    assert current_revision(app_engine) == head_revision()
    assert stored_rows(app_engine) == expected_rows()


def test_tables_made_before_the_versions_are_adopted(app_engine: sa.Engine) -> None:
    """The app tables made without Alembic (one database shared with the CRM data, before the
    app database had versions) are stamped with the first revision, rows kept, and upgraded."""
    METADATA.create_all(app_engine, tables=list(FIRST_TABLES))
    insert_rows(app_engine)
    upgrade(app_engine)
    assert current_revision(app_engine) == head_revision()
    assert stored_rows(app_engine) == expected_rows()


# ---- the import from the previous layout ------------------------------------------------------

#: (app database, CRM database): each app dialect, with a CRM database apart from it.
IMPORT_CASES = [
    pytest.param(
        (app, crm),
        id=f"app_{app}-crm_{crm}",
        marks=[pytest.mark.services] if {app, crm} & set(SERVER_DIALECTS) else [],
    )
    for app, crm in [
        *((app, "sqlite" if app == "duckdb" else "duckdb") for app in DIALECTS),
        ("sqlite", "postgresql"),
    ]
]


@pytest.fixture(params=IMPORT_CASES)
def databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    """(app database, old CRM database holding the app tables with :data:`ROWS`)."""
    app_dialect, crm_dialect = request.param
    with (
        fresh_app_engine(app_dialect, tmp_path / "app") as app,
        fresh_app_engine(crm_dialect, tmp_path / "crm") as crm,
    ):
        METADATA.create_all(crm)
        insert_rows(crm)
        yield app, crm


def test_import_from_the_previous_layout(databases: tuple[sa.Engine, sa.Engine]) -> None:
    app, crm = databases
    upgrade(app)
    imported = import_previous_layout(app, crm, (USER_STORE, PLAN_STORE))
    assert imported == {"app_users": 1, "kpi_plans": 2, "kpi_plan_items": 2, "kpi_targets": 2}
    assert stored_rows(app) == expected_rows()  # same ids, same versions
    assert stored_rows(crm) == expected_rows()  # the old tables are left as they were
    assert import_previous_layout(app, crm, (USER_STORE, PLAN_STORE)) == {}  # once
    # the next ids follow the imported ones
    next_version = {key: value for key, value in PLAN_V1.items() if key != "id"}
    with app.begin() as conn:
        conn.execute(PLANS.insert().values({**next_version, "version": 3}))
        ids = conn.execute(sa.select(PLANS.c.id).order_by(PLANS.c.id)).scalars().all()
    assert ids == [3, 5, 6]


def test_the_app_imports_every_store(tmp_path: Path) -> None:
    """``open_app_database`` imports the users and the plans, once; a store is imported when the
    app database holds none of it, whatever the others hold."""
    assert MOVED_STORES == (USER_STORE, PLAN_STORE)
    with (
        fresh_app_engine("sqlite", tmp_path / "app") as app,
        fresh_app_engine("duckdb", tmp_path / "crm") as crm,
    ):
        METADATA.create_all(crm)
        insert_rows(crm)
        assert appdb.open_app_database(app, crm) == {
            "app_users": 1, "kpi_plans": 2, "kpi_plan_items": 2, "kpi_targets": 2
        }  # fmt: skip
        assert appdb.open_app_database(app, crm) == {}
        assert stored_rows(app) == expected_rows()
        with app.begin() as conn:  # the users gone (say, removed by hand): only they come back
            conn.execute(sa.delete(APP_USERS))
        assert import_previous_layout(app, crm) == {"app_users": 1}
        assert stored_rows(app) == expected_rows()


def test_no_import_into_an_app_database_in_use(tmp_path: Path) -> None:
    with (
        fresh_app_engine("sqlite", tmp_path / "app") as app,
        fresh_app_engine("duckdb", tmp_path / "crm") as crm,
    ):
        METADATA.create_all(crm)
        insert_rows(crm)
        upgrade(app)
        with app.begin() as conn:
            conn.execute(APP_USERS.insert(), [{**USER, "id": 1, "email": "new@example.com"}])
        # the users in use are kept; the plans, of which it holds none, come over
        assert import_previous_layout(app, crm) == {
            "kpi_plans": 2, "kpi_plan_items": 2, "kpi_targets": 2
        }  # fmt: skip
        assert import_previous_layout(app, crm) == {}
        assert import_previous_layout(crm, crm) == {}  # one database for both: nothing to copy
        assert [row["email"] for row in stored_rows(app)["app_users"]] == ["new@example.com"]


def test_import_of_users_from_before_session_versions(tmp_path: Path) -> None:
    """An ``app_users`` table older than ``session_version`` gives its users version 0."""
    old = sa.MetaData()
    columns = [
        sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in APP_USERS.columns
        if c.name != "session_version"
    ]
    old_users = sa.Table("app_users", old, *columns)
    with (
        fresh_app_engine("sqlite", tmp_path / "app") as app,
        fresh_app_engine("sqlite", tmp_path / "crm") as crm,
    ):
        old.create_all(crm)
        with crm.begin() as conn:
            conn.execute(
                old_users.insert(), [{k: v for k, v in USER.items() if k != "session_version"}]
            )
        assert appdb.open_app_database(app, crm) == {"app_users": 1}
        assert stored_rows(app)["app_users"] == [{**USER, "session_version": 0}]
