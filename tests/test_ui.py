"""Small units of the ``ui`` package that need no running app."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.demo import seed_demo
from crm_data.info import database_info
from tests.support.small_crm import build_small_crm
from ui.database_info import TABLE_COLUMNS, info_frame
from ui.first_run import demo_size, needs_first_run_seed
from ui.registry import PAGES, SECTION_ORDER, PageSpec
from ui.seeding import STEP_LABELS, size_label, step_label

ROOT = Path(__file__).resolve().parents[1]


def test_registry_pages_exist_and_are_unique() -> None:
    assert [p.url_path for p in PAGES].count("data") == 1
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    for page in PAGES:
        assert (ROOT / page.path).is_file(), page.path
        assert page.section in SECTION_ORDER
    data = next(p for p in PAGES if p.url_path == "data")
    assert (data.path, data.title, data.section) == ("pages/data.py", "Data", "Data")


def test_page_url_path_must_match_the_file_stem() -> None:
    with pytest.raises(ValueError, match="file stem"):
        PageSpec("pages/data.py", "Data", "database", ":material/database:", "Data")


def test_page_roles() -> None:
    """Who opens which page is access.roles.can_see_page, asked by the registry."""
    data = PageSpec("pages/data.py", "Data", "data", ":material/database:", "Data")
    assert [data.allowed(role) for role in ("exec", "head", "rep", "analyst", "admin")] == [
        False, False, False, True, True,
    ]  # fmt: skip
    overview = PageSpec("pages/overview.py", "Overview", "overview", ":material/star:", "Sales")
    assert all(overview.allowed(role) for role in ("exec", "head", "rep", "analyst", "admin"))
    assert data.allowed(None)  # no role system (local mode): every page


def test_needs_first_run_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_AUTO_SEED", raising=False)
    empty = sa.create_engine(f"duckdb:///{tmp_path / 'empty.duckdb'}")
    assert needs_first_run_seed(empty)
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    assert not needs_first_run_seed(empty)
    monkeypatch.delenv("CRM_AUTO_SEED")
    url = f"sqlite:///{tmp_path / 'small.sqlite'}"
    build_small_crm(url)
    assert not needs_first_run_seed(sa.create_engine(url))
    # an empty server database is never seeded automatically (nothing is even queried)
    assert not needs_first_run_seed(sa.create_engine("postgresql+psycopg://u@127.0.0.1:1/x"))
    empty.dispose()


def test_demo_size_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_DEMO_SIZE", raising=False)
    assert demo_size() == "S"
    monkeypatch.setenv("CRM_DEMO_SIZE", "xs")
    assert demo_size() == "XS"


def test_size_label() -> None:
    assert size_label("S") == "S: 2 k accounts, 10 k deals, 100 k activities"
    assert size_label("XS") == "XS: 300 accounts, 1.5 k deals, 15 k activities"


def test_every_seeding_step_reads_as_words(tmp_path: Path) -> None:
    # the progress bar of the first start showed the generator's raw messages ("demo_truth")
    messages: list[str] = []
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'xs.duckdb'}")
    try:
        seed_demo(engine, size="XS", seed=1, end=date(2026, 6, 30),
                  progress=lambda _fraction, message: messages.append(message))  # fmt: skip
    finally:
        engine.dispose()
    assert {"demo_truth", "deal_stage_history", "generating deals"} <= set(messages)
    for message in set(messages):
        assert message in STEP_LABELS, message  # a new step gets its words
        assert "_" not in step_label(message)
    assert step_label("demo_truth") == "Saving the facts the demo was built with (for its tests)"
    assert step_label("kpi_plan_items") == "Kpi plan items"  # an unknown step: still no "_"


def test_info_frame(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'small.duckdb'}"
    build_small_crm(url)
    engine = sa.create_engine(url)
    frame = info_frame(database_info(engine))
    engine.dispose()
    assert tuple(frame.columns) == TABLE_COLUMNS
    rows = frame.set_index("Table")
    assert rows.loc["deals", "Rows"] == 5
    assert rows.loc["deals", "Status"] == "ok"
    assert rows.loc["contacts", "Status"] == "empty"
    assert rows.loc["quotas", "Status"] == "absent"
    assert pd.isna(rows.loc["quotas", "Rows"])
    assert rows.loc["activities", "First date"] == pd.Timestamp("2023-01-20 09:00")
    assert rows.loc["employees", "Last date"] == pd.Timestamp("2022-03-15")
    assert str(frame["Rows"].dtype) == "Int64"
    csv = frame.to_csv(index=False).splitlines()
    assert csv[0] == "Table,Status,Rows,First date,Last date,Date column"
    assert "deals,ok,5,2023-02-01 08:00:00,2023-06-30 17:30:00,created_at" in csv
