"""The Streamlit app through ``AppTest``: Data page, error panel, first-start seeding."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from appdb import plans
from appdb.databases import Databases
from appdb.plans import StoredItem
from crm_data.config import create_crm_engine
from crm_data.demo import load_truth, seed_demo
from crm_data.demo.seed import KEPT_TEXT
from crm_data.filters import Scope
from crm_data.info import database_info
from crm_data.schema import Deal
from tests.support.apptest import APP, crm_writes, metric
from tests.support.databases import hold_duckdb_lock, use_app_database
from tests.support.small_crm import build_small_crm
from ui.engine import crm_writer


def run_app(timeout: float = 60, page: str | None = "pages/data.py") -> AppTest:
    """Run the app, then open ``page`` when the first run registered it (an error panel
    before the navigation registers nothing), and return the finished AppTest."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    if page is not None and not at.exception and not at.error:
        at.switch_page(page).run()
    return at


def table_rows(at: AppTest) -> dict[str, int | None]:
    """Rows per table of the Data page's table."""
    frame = at.dataframe[0].value
    return {
        str(name): None if pd.isna(rows) else int(rows)
        for name, rows in zip(frame["Table"], frame["Rows"].astype(object), strict=True)
    }


@pytest.fixture
def small_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The hand-made database (5 deals, non-demo) as CRM_DATABASE_URL."""
    url = f"duckdb:///{tmp_path / 'small.duckdb'}"
    build_small_crm(url)
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    return url


@pytest.fixture
def xs_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A DuckDB seeded with demo size XS as CRM_DATABASE_URL."""
    url = f"duckdb:///{tmp_path / 'xs.duckdb'}"
    engine = sa.create_engine(url)
    seed_demo(engine, size="XS", seed=42, end=date(2026, 6, 30))
    engine.dispose()
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    yield url


def test_data_page_on_hand_made_database(small_db: str) -> None:
    at = run_app()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Data"
    assert metric(at, "Deals") == "5"
    assert metric(at, "Accounts") == "4"
    assert metric(at, "Tables") == "14 / 16"
    rows = table_rows(at)
    assert rows["deals"] == 5
    assert rows["activities"] == 6
    assert rows["quotas"] is None
    frame = at.dataframe[0].value
    assert list(frame.columns) == [
        "Table",
        "Status",
        "Rows",
        "First date",
        "Last date",
        "Date column",
    ]
    deals = frame.set_index("Table").loc["deals"]
    assert str(deals["First date"])[:16] == "2023-02-01 08:00"
    assert deals["Status"] == "ok"
    assert any(small_db in m.value for m in at.markdown)
    assert at.get("download_button")


def test_data_page_on_demo_xs(xs_db: str) -> None:
    engine = sa.create_engine(xs_db)
    expected = database_info(engine)
    engine.dispose()
    at = run_app()
    assert not at.exception
    deals = expected.table("deals").rows
    assert deals and deals > 0
    assert metric(at, "Deals") == f"{deals:,}"
    assert table_rows(at)["deals"] == deals
    assert any("**Demo data** yes" in m.value for m in at.markdown)
    # a finding's advice in full above the quality table (its cell would cut the sentence)
    checks = next(d for d in at.dataframe if "Check" in d.value.columns)
    found = checks.value[checks.value["Status"] == "found"]
    assert len(found) >= 1 and len(at.warning) == len(found)
    for (_, check), warning in zip(found.iterrows(), at.warning, strict=True):
        assert warning.value == (
            f"**{check['Check']}** ({check['Rows']:,} rows): {check['What to do']}"
        )
    assert json.loads(checks.proto.columns)["What to do"] == {"hidden": True}


def test_unreachable_database_shows_the_error_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://nobody:pw@127.0.0.1:1/x")
    at = run_app()
    assert not at.exception
    assert "Cannot open the CRM database" in at.error[0].value
    texts = [m.value for m in at.markdown]
    assert "**Database:** `postgresql+psycopg://nobody:***@127.0.0.1:1/x`" in texts
    assert "refused" in at.code[0].value.lower()
    assert any(t.startswith("**What to check:** Check that the server is running") for t in texts)
    assert all("pw@" not in t for t in texts)
    assert not at.dataframe


def test_locked_duckdb_file_shows_the_error_panel(small_db: str) -> None:
    with hold_duckdb_lock(Path(small_db.removeprefix("duckdb:///"))):
        at = run_app()
    assert not at.exception
    assert "locked" in at.error[0].value
    assert "lock" in at.code[0].value.lower()


def test_empty_database_with_auto_seed_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    at = run_app()
    assert not at.exception
    assert "no CRM tables yet" in at.info[0].value
    assert not at.dataframe
    assert not at.metric


def test_first_start_seeds_demo_xs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"duckdb:///{tmp_path / 'new' / 'crm.duckdb'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_DEMO_SIZE", "XS")
    at = run_app(timeout=300, page=None)
    assert not at.exception, at.exception
    assert (tmp_path / "new" / "crm.duckdb").exists()
    assert at.toast[0].value.startswith("First start: created a demo company (size XS) in ")
    assert at.title[0].value == "Overview"  # the first page, with the demo data
    at.switch_page("pages/data.py").run()
    engine = create_crm_engine(url, read_only=True)  # the app has it open read-only
    info = database_info(engine)
    engine.dispose()
    assert info.is_demo
    assert metric(at, "Deals") == f"{info.table('deals').rows:,}"
    assert info.table("deals").rows > 0


SMALL_LOSSES = (
    "This database holds data the demo generator did not make: 2 rows of teams, 3 rows of "
    "employees, 4 rows of accounts, 3 rows of stages, 5 rows of deals, 7 rows of "
    "deal_stage_history, 6 rows of activities, 2 rows of orders, 1 row of tickets."
)


def test_non_demo_data_is_named_and_needs_the_typed_name(small_db: str) -> None:
    at = run_app()
    assert at.button(key="data_seed_run").disabled
    assert f"**Lost for good if you seed:** {SMALL_LOSSES}" in [w.value for w in at.warning]
    word = at.text_input(key="data_seed_word")
    assert word.label == f"To replace the CRM data in `{small_db}`, type **small.duckdb**"
    word.input("yes").run()
    assert at.button(key="data_seed_run").disabled
    at.text_input(key="data_seed_word").input("small.duckdb").run()
    assert not at.button(key="data_seed_run").disabled


def test_seed_from_the_data_page(small_db: str) -> None:
    at = run_app()
    at.selectbox(key="data_seed_size").set_value("XS")
    at.text_input(key="data_seed_word").input("small.duckdb").run()
    at.button(key="data_seed_run").click().run(timeout=300)
    assert not at.exception, at.exception
    assert "Seeded demo company size XS (seed 42)" in at.success[0].value
    engine = create_crm_engine(small_db, read_only=True)
    info = database_info(engine)
    engine.dispose()
    assert info.is_demo
    assert metric(at, "Deals") == f"{info.table('deals').rows:,}" != "5"
    assert at.text_input(key="data_seed_word").value == ""  # the next seeding asks again


def _real_work(databases: Databases) -> None:
    """After the seed: a real deal, and a real plan saved in ten versions."""
    with databases.crm.begin() as conn:
        conn.execute(
            sa.insert(Deal.__table__).values(
                id=5_000, account_id=1, owner_id=5, title="Real deal", product_line="core",
                amount=1.0, currency="EUR", created_at=datetime(2026, 6, 1), status="open",
                stage_id=1,
            )
        )  # fmt: skip
    items = [StoredItem("won_deals", 1.0, target=3.0)]
    stored = plans.save_plan(
        databases, Scope.everyone(), None, name="Real plan", period_start=date(2026, 4, 1),
        period_end=date(2026, 7, 1), team_id=2, items=items,
    )  # fmt: skip
    for version in range(1, 10):
        plans.save_plan(
            databases, Scope.everyone(), stored.plan_key, name="Real plan",
            period_start=date(2026, 4, 1), period_end=date(2026, 7, 1), team_id=2,
            items=items, based_on_version=version,
        )  # fmt: skip


def test_reseeding_names_the_real_rows_and_keeps_the_plans(
    xs_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plans are in the app database, which a reseed of the CRM database leaves alone:
    every plan keeps its key and versions."""
    app = use_app_database(tmp_path, monkeypatch)
    crm = sa.create_engine(xs_db)
    _real_work(Databases(app=app, crm=crm))
    crm.dispose()
    at = run_app()  # the app saves the demo's plans for Q2 2026 when it opens the app database
    warning = (
        "**Lost for good if you seed:** Rows were added since the demo was seeded: 1 row of deals."
    )
    assert warning in [w.value for w in at.warning]
    assert KEPT_TEXT in [c.value for c in at.caption]
    with app.connect() as conn:
        before = conn.execute(sa.text("SELECT plan_key, version FROM kpi_plans")).all()
    assert len(before) == 4 + 10  # the demo's 4 and the real plan's 10 versions
    at.selectbox(key="data_seed_size").set_value("XS")
    at.number_input(key="data_seed_seed").set_value(43)
    at.text_input(key="data_seed_word").input("xs.duckdb").run()
    at.button(key="data_seed_run").click().run(timeout=300)
    assert not at.exception, at.exception
    # the demo's plans of the quarter of today's seed, unless that is Q2 2026 (kept, not added)
    last_day = date.today() - timedelta(days=1)
    added = 0 if (last_day.year, (last_day.month - 1) // 3) == (2026, 1) else 4
    ending = f" s and saved {added} demo incentive plans." if added else " s."
    assert at.success[0].value.endswith(ending)
    engine = create_crm_engine(xs_db, read_only=True)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM deals WHERE id = 5000")).scalar() == 0
    assert load_truth(engine)["generator"]["seed"] == 43
    engine.dispose()
    with app.connect() as conn:
        after = conn.execute(sa.text("SELECT plan_key, version FROM kpi_plans")).all()
    assert set(before) <= set(after) and len(after) == len(before) + added
    app.dispose()


def test_a_second_seeding_waits_for_the_first(xs_db: str) -> None:
    started, release = threading.Event(), threading.Event()

    def hold(fraction: float, message: str) -> None:
        if message == "generating people":
            started.set()
            release.wait(60)

    def seed() -> None:  # as the Data page of another session of this app seeds
        with crm_writer() as engine:
            seed_demo(engine, size="XS", end=date(2026, 6, 30), progress=hold,
                      by="ann@example.com (Data page)")  # fmt: skip

    first = threading.Thread(target=seed)
    first.start()
    try:
        assert started.wait(60)
        at = run_app()
        assert not at.exception
        message = at.info[0].value
        assert message.startswith("A seeding is already running on this database, started at ")
        assert " UTC by ann@example.com (Data page). Wait for it to finish" in message
        assert at.button(key="data_seed_run").disabled
    finally:
        release.set()
        first.join(120)
    assert not first.is_alive()


def test_clear_caches_button_shows_fresh_counts(small_db: str) -> None:
    at = run_app()
    assert metric(at, "Deals") == "5"
    with crm_writes(small_db) as engine, engine.begin() as conn:  # as another program does
        conn.execute(
            sa.insert(Deal.__table__).values(
                id=6, account_id=1, owner_id=2, title="Late deal", product_line="core",
                amount=1.0, currency="EUR", created_at=datetime(2024, 1, 1), status="open",
                stage_id=1,
            )
        )  # fmt: skip
    assert metric(at.run(), "Deals") == "5"  # cached for 5 minutes
    at.button(key="data_clear_caches").click().run()
    assert not at.exception
    assert metric(at, "Deals") == "6"
    assert table_rows(at)["deals"] == 6


def test_broken_secrets_file_shows_a_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[connections.crm\nurl = 'x'\n")
    monkeypatch.chdir(tmp_path)
    at = run_app()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Cannot read the database URL from .streamlit/secrets.toml: ")
    assert not at.dataframe


def test_read_only_database_that_cannot_be_seeded_shows_the_panel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()  # an existing, empty database file
    monkeypatch.setenv("CRM_DATABASE_URL", f"duckdb:///{path}?access_mode=read_only")
    monkeypatch.setenv("CRM_DEMO_SIZE", "XS")
    at = run_app(timeout=120)
    assert not at.exception
    assert "Cannot open the CRM database" in at.error[0].value
    assert "read-only" in at.code[0].value.lower()
    texts = [m.value for m in at.markdown]
    assert any("and that this user may read it (and write it, to seed)" in t for t in texts)
