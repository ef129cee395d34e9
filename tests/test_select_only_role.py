"""The app through a PostgreSQL role that may only read the CRM tables (DESIGN.md §3, issue #15).

On this run's own PostgreSQL database, seeded with demo size XS by the owner (the test's
superuser), the PostgreSQL statements of the README's "A read-only database user" (read from the
README itself, so the two cannot drift apart) create a login role with CONNECT, USAGE on
``public`` and SELECT on the tables, and nothing else.  Through that role every page renders
with real numbers, the reports equal the owner's, a KPI plan is stored in the app database, and
the server refuses every write.  Every statement the role sends is recorded: none may write.
"""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
import streamlit as st

from appdb import upgrade
from appdb.databases import Databases
from crm_data.config import create_crm_engine
from crm_data.demo import seed_demo
from crm_data.filters import Scope
from crm_data.schema import CRM_TABLES
from reports import plan_store
from reports.activity import activity_report
from reports.funnel import funnel_report
from reports.overview import overview_report
from tests.support.apptest import TODAY, metric, run
from tests.support.databases import fresh_engine
from ui.registry import PAGES
from ui.url_filters import Selection, build_filters

pytestmark = [pytest.mark.services, pytest.mark.slow]

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "### A read-only database user"
#: The names the README's statements use, replaced by the test's own.
ROLE, DATABASE, PASSWORD = "crm_reader", "crm", "'change-me'"
#: A statement that changes something (data, schema, rights), by its first word.
WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|UPSERT|REPLACE|CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|"
    r"COPY|LOCK|COMMENT)\b",
    re.IGNORECASE,
)


def readme_statements() -> list[str]:
    """The PostgreSQL statements of the README's read-only user (its section's first ``sql``
    block), one per item, without their semicolons."""
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md lacks the section {SECTION!r}"
    block = re.search(r"```sql\n(.*?)```", text.split(SECTION, 1)[1], re.DOTALL)
    assert block is not None, f"no sql block under {SECTION!r}"
    lines = [line for line in block.group(1).splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def statements_for(role: str, database: str, password: str) -> list[str]:
    """:func:`readme_statements` for ``role`` on ``database`` with ``password``."""
    return [
        re.sub(rf"\bDATABASE {DATABASE}\b", f"DATABASE {database}", statement)
        .replace(ROLE, role)
        .replace(PASSWORD, f"'{password}'")
        for statement in readme_statements()
    ]


def test_the_readme_grants_select_and_nothing_more() -> None:
    statements = statements_for("r", "d", "p")
    assert statements == [
        "CREATE ROLE r LOGIN PASSWORD 'p'",
        "GRANT CONNECT ON DATABASE d TO r",
        "GRANT USAGE ON SCHEMA public TO r",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO r",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO r",
    ]


@dataclasses.dataclass(frozen=True)
class Reader:
    """The read-only role: its name and URL, every statement sent through it, and the writes
    the tests attempt on purpose."""

    role: str
    url: str
    sent: list[str]
    attempted: list[str] = dataclasses.field(default_factory=list)

    def writes(self) -> list[str]:
        """The statements sent that would change something, but for those attempted."""
        return [s for s in self.sent if WRITE.match(s) and s not in self.attempted]


@pytest.fixture(scope="module")
def owner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """This run's PostgreSQL database, seeded with demo size XS by its owner."""
    with fresh_engine("postgresql", tmp_path_factory.mktemp("select_only")) as engine:
        seed_demo(engine, size="XS", seed=42, end=date(2026, 6, 30))
        yield engine


@pytest.fixture(scope="module")
def reader(owner: sa.Engine) -> Iterator[Reader]:
    """A login role made by the README's statements; revoked and dropped afterwards."""
    role = f"crm_reader_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    assert owner.url.database is not None
    url = owner.url.set(username=role, password=password).render_as_string(hide_password=False)
    sent: list[str] = []

    def record(conn: sa.Connection, cursor: Any, statement: str, *args: Any) -> None:
        if conn.engine.url.username == role:
            sent.append(statement)

    with owner.begin() as conn:
        for statement in statements_for(role, owner.url.database, password):
            conn.execute(sa.text(statement))
    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        yield Reader(role, url, sent)
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
        st.cache_resource.clear()  # the app's engines (disposed of on release)
        with owner.begin() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"
                ),
                {"r": role},
            )
            conn.execute(
                sa.text(
                    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {role}"
                )
            )
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE {role}"))


@pytest.fixture(scope="module")
def crm(reader: Reader) -> Iterator[sa.Engine]:
    """The CRM engine through the reader, made as the app makes it."""
    engine = create_crm_engine(reader.url)
    yield engine
    engine.dispose()


def count(engine: sa.Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def test_the_role_reads_every_crm_table(owner: sa.Engine, crm: sa.Engine) -> None:
    with crm.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar_one().startswith("crm_reader_")
        for table in CRM_TABLES:
            rows = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            assert rows == count(owner, f"SELECT count(*) FROM {table.name}"), table.name
    assert count(owner, "SELECT count(*) FROM deals") > 0


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO teams (id, name, region) VALUES (999, 'Intruders', 'X')",
        "UPDATE deals SET amount = 0",
        "DELETE FROM activities",
        "TRUNCATE orders",
        "CREATE TABLE scratch (id integer)",
        "DROP TABLE tickets",
        "ALTER TABLE deals ADD COLUMN note text",
    ],
)
def test_the_server_refuses_every_write(
    statement: str, owner: sa.Engine, crm: sa.Engine, reader: Reader
) -> None:
    before = count(owner, "SELECT count(*) FROM deals WHERE amount > 0")
    reader.attempted.append(statement)
    with pytest.raises(sa.exc.ProgrammingError) as refused, crm.begin() as conn:
        conn.execute(sa.text(statement))
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), refused.value
    assert count(owner, "SELECT count(*) FROM deals WHERE amount > 0") == before > 0
    assert count(owner, "SELECT count(*) FROM teams WHERE id = 999") == 0


def assert_same(read: Any, owned: Any, where: str = "report") -> None:
    """``read`` equals ``owned``: frames and series exactly, dataclasses field by field, NaN
    equal to NaN."""
    if isinstance(owned, pd.DataFrame):
        pd.testing.assert_frame_equal(read, owned, obj=where)
    elif isinstance(owned, pd.Series):
        pd.testing.assert_series_equal(read, owned, obj=where)
    elif dataclasses.is_dataclass(owned) and not isinstance(owned, type):
        assert type(read) is type(owned), where
        for field in dataclasses.fields(owned):
            name = field.name
            assert_same(getattr(read, name), getattr(owned, name), f"{where}.{name}")
    elif isinstance(owned, list | tuple):
        assert type(read) is type(owned) and len(read) == len(owned), where
        for i, (a, b) in enumerate(zip(read, owned, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(owned, dict):
        assert read.keys() == owned.keys(), where
        for key in owned:
            assert_same(read[key], owned[key], f"{where}[{key!r}]")
    elif isinstance(owned, float) and math.isnan(owned):
        assert isinstance(read, float) and math.isnan(read), where
    else:
        assert read == owned, where


@pytest.mark.parametrize("report", [overview_report, funnel_report, activity_report])
def test_reports_through_the_reader_equal_the_owners(
    report: Any, owner: sa.Engine, crm: sa.Engine
) -> None:
    filters, _ = build_filters(Selection(), TODAY)
    with owner.connect() as conn:
        head, team = conn.execute(
            sa.text("SELECT head_id, id FROM teams WHERE head_id IS NOT NULL ORDER BY id LIMIT 1")
        ).one()
    for scope in (Scope.everyone(), Scope.head(team, head)):
        assert_same(report(crm, filters, scope), report(owner, filters, scope), report.__name__)


@pytest.fixture
def app_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """A fresh SQLite app database at the latest revision."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_plan_is_saved_in_the_app_database(
    app_engine: sa.Engine, owner: sa.Engine, crm: sa.Engine, reader: Reader
) -> None:
    databases = Databases(app=app_engine, crm=crm)
    with owner.connect() as conn:
        head, team = conn.execute(
            sa.text("SELECT head_id, id FROM teams WHERE head_id IS NOT NULL ORDER BY id LIMIT 1")
        ).one()
    items = [
        plan_store.StoredItem("won_deals", 0.6, target=5.0, cap=1.5),
        plan_store.StoredItem("won_revenue", 0.4, target=50_000.0, threshold=0.5),
    ]
    stored = plan_store.save_plan(
        databases,
        Scope.everyone(),
        name="Q3 2026 through the reader",
        period_start=date(2026, 7, 1),
        period_end=date(2026, 10, 1),
        team_id=team,
        on_target_bonus=1000.0,
        items=items,
    )
    assert stored.version == 1 and stored.team_id == team and stored.items == tuple(items)
    assert plan_store.load_plan(databases, Scope.everyone(), stored.plan_key) == stored
    assert plan_store.load_plan(databases, Scope.head(team, head), stored.plan_key) == stored
    with app_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM kpi_plans")).scalar_one() == 1
    assert not reader.writes()


@pytest.fixture
def app_on_reader(
    reader: Reader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Reader]:
    """The app (auth mode none: the local admin) on the reader, with a fresh SQLite app
    database and "today" pinned."""
    monkeypatch.setenv("CRM_DATABASE_URL", reader.url)
    monkeypatch.setenv("CRM_APP_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.setenv("CRM_TODAY", TODAY.isoformat())
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    monkeypatch.delenv("CRM_AUTH_MODE", raising=False)
    yield reader


def test_every_page_renders_through_the_reader(app_on_reader: Reader, owner: sa.Engine) -> None:
    before = len(app_on_reader.sent)
    at = run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Overview"
    won = count(
        owner,
        "SELECT count(*) FROM deals WHERE status = 'won' AND closed_at >= :s AND closed_at < :e",
        s=date(2025, 7, 1),
        e=date(2026, 6, 30),
    )
    assert won > 0 and metric(at, "Won deals") == f"{won:,}"
    assert any(app_on_reader.role in m.value for m in at.sidebar.caption)  # the URL shown
    for spec in PAGES:
        at.switch_page(spec.path).run()
        assert not at.exception, (spec.path, at.exception)
        assert not at.error, (spec.path, [e.value for e in at.error])
        assert at.title[0].value == spec.title
        if spec.url_path == "data":
            deals = count(owner, "SELECT count(*) FROM deals")
            assert metric(at, "Deals") == f"{deals:,}"
    assert len(app_on_reader.sent) > before, "the app did not read through the reader"
    assert not app_on_reader.writes(), app_on_reader.writes()


def test_the_reader_still_reads_after_the_owner_seeds_again(
    owner: sa.Engine, crm: sa.Engine, reader: Reader
) -> None:
    """Seeding drops and re-creates the tables: the default privileges give the new ones."""
    before = count(crm, "SELECT count(*) FROM deals")
    oid = count(owner, "SELECT 'deals'::regclass::oid")
    seed_demo(owner, size="XS", seed=42, end=date(2026, 6, 30))
    assert count(owner, "SELECT 'deals'::regclass::oid") != oid  # a new table
    crm.dispose()  # no connection holds on to the dropped tables
    assert count(crm, "SELECT count(*) FROM deals") == before > 0
    with crm.connect() as conn:
        for table in CRM_TABLES:
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    assert not reader.writes(), reader.writes()
