"""crm_data.info.database_info on hand-made databases: exact counts, date ranges, masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_data.errors import DatabaseUnavailable
from crm_data.info import DatabaseInfo, database_info
from crm_data.schema import CRM_TABLES
from tests.support.small_crm import ABSENT, EXPECTED, build_small_crm

VERSION_PREFIX = {
    "duckdb": "DuckDB ",
    "sqlite": "SQLite ",
    "postgresql": "PostgreSQL ",
    "mysql": ("MySQL ", "MariaDB "),
}


def _info(url: str) -> DatabaseInfo:
    engine = sa.create_engine(url)
    try:
        return database_info(engine)
    finally:
        engine.dispose()


def test_counts_and_date_ranges(dialect: str, empty_url: str) -> None:
    build_small_crm(empty_url)
    info = _info(empty_url)

    assert info.dialect == dialect
    assert info.server_version.startswith(VERSION_PREFIX[dialect])
    assert [t.name for t in info.tables] == [t.name for t in CRM_TABLES]
    for name, (rows, first, last) in EXPECTED.items():
        table = info.table(name)
        assert (table.name, table.rows, table.min_date, table.max_date) == (
            name,
            rows,
            first,
            last,
        )
    for name in ABSENT:
        assert info.table(name).rows is None
        assert not info.table(name).present
    assert info.table("activities").date_column == "done_at or due_at"
    assert info.table("deals").date_column == "created_at"
    assert info.table("teams").date_column is None
    assert info.total_rows == sum(rows for rows, _, _ in EXPECTED.values()) == 33
    assert info.has_crm_tables
    assert info.is_demo is False
    assert info.demo == {}


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_demo_flag_from_demo_truth(kind: str, tmp_path: Path) -> None:
    url = f"{kind}:///{tmp_path / 'crm.db'}"
    build_small_crm(url, demo=True)
    info = _info(url)
    assert info.is_demo is True
    assert info.demo == {"size": "XS", "seed": 7}
    assert "Demo data  yes (size XS, seed 7)" in info.to_text()


def test_to_dict_is_json(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'crm.duckdb'}"
    build_small_crm(url)
    data = json.loads(json.dumps(_info(url).to_dict()))
    assert data["dialect"] == "duckdb"
    assert data["url"] == url
    assert data["is_demo"] is False
    assert data["total_rows"] == 33
    tables = {t["name"]: t for t in data["tables"]}
    assert tables["accounts"] == {
        "name": "accounts",
        "present": True,
        "rows": 4,
        "min_date": "2023-01-05T10:00:00",
        "max_date": "2023-04-20T16:45:00",
        "date_column": "created_at",
    }
    assert tables["employees"]["min_date"] == "2020-01-01"
    assert tables["quotas"] == {
        "name": "quotas",
        "present": False,
        "rows": None,
        "min_date": None,
        "max_date": None,
        "date_column": None,
    }


def test_to_text_is_an_aligned_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_small_crm(url)
    text = _info(url).to_text()
    lines = text.splitlines()
    assert lines[0] == f"Database   sqlite  {url}"
    assert lines[2] == "Demo data  no"
    header = next(line for line in lines if line.startswith("table"))
    start = lines.index(header)
    rows = {line.split()[0]: line for line in lines[start + 2 : start + 2 + len(CRM_TABLES)]}
    assert set(rows) == {t.name for t in CRM_TABLES}
    date_at = header.index("from")
    assert rows["deals"][date_at : date_at + 10] == "2023-02-01"
    assert rows["activities"][date_at : date_at + 22] == "2023-01-20  2023-07-15"
    assert rows["activities"].endswith("done_at or due_at")
    rows_end = header.index("rows") + len("rows")
    assert rows["deals"][:rows_end].endswith(" 5")
    assert rows["quotas"][:rows_end].endswith("absent")
    assert lines[-1].split() == ["total", "33"]


def test_empty_database(tmp_path: Path) -> None:
    info = _info(f"duckdb:///{tmp_path / 'empty.duckdb'}")
    assert not info.has_crm_tables
    assert all(t.rows is None for t in info.tables)
    assert info.total_rows == 0
    assert "No CRM tables yet" in info.to_text()


def test_table_without_its_date_column(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'odd.duckdb'}"
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    deals = sa.Table(
        "deals", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(deals), [{"id": 1}, {"id": 2}])
    info = database_info(engine)
    engine.dispose()
    assert (info.table("deals").rows, info.table("deals").date_column) == (2, None)
    assert info.table("deals").min_date is None
    assert info.table("accounts").rows is None


def test_unreachable_server_masks_the_password() -> None:
    engine = sa.create_engine("postgresql+psycopg://bob:s3cret@127.0.0.1:1/crm")
    with pytest.raises(DatabaseUnavailable) as caught:
        database_info(engine)
    assert caught.value.masked_url == "postgresql+psycopg://bob:***@127.0.0.1:1/crm"
    assert "s3cret" not in str(caught.value)
    assert "refused" in caught.value.driver_message.lower()
