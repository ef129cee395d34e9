"""Random cells in a deals sheet (hypothesis): ``import_file`` never raises, only reports
problems, and never leaves a partial write (DuckDB and SQLite)."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_data.importer import import_file, load_mapping
from tests.support.databases import fresh_engine

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "importer"
MAPPING = load_mapping(ROOT / "crm_data" / "mappings" / "deals_sheet.yaml")
with (DATA / "deals_en.csv").open(encoding="utf-8", newline="") as fh:
    HEADER, *ROWS = list(csv.reader(fh))
TABLES = ("deals", "accounts", "employees", "teams", "stages", "deal_stage_history")
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            ",",
            ";",
            "\t",
            "|",
            '"',
            "'",
            "\n",
            "1 234,56",
            "1,234.56",
            "-1",
            "31.02.2026",
            "2026-13-01",
            "Won",
            "Lost",
            "Выиграна",
            "x" * 250,
            "ann@example.com",
            "D-1",
        ]
    ),
)


@pytest.fixture(scope="module", params=["duckdb", "sqlite"])
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sa.Engine, set[str]]]:
    """One database for every example, and the external ids imported into it so far."""
    with fresh_engine(request.param, tmp_path_factory.mktemp(request.param)) as engine:
        yield engine, set()


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        return {
            t: int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one())
            if t in existing
            else 0
            for t in TABLES
        }


@settings(max_examples=50, deadline=None)
@given(
    picked=st.lists(st.integers(0, len(ROWS) - 1), min_size=1, max_size=4),
    edits=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, len(HEADER) - 1), CELLS), max_size=6
    ),
    skip_invalid=st.booleans(),
)
def test_random_cells_never_raise_nor_write_half(
    shared: tuple[sa.Engine, set[str]],
    picked: list[int],
    edits: list[tuple[int, int, str]],
    skip_invalid: bool,
) -> None:
    engine, imported = shared
    grid = [list(ROWS[i]) for i in picked]
    for row, column, text in edits:
        grid[row % len(grid)][column] = text
    before = counts(engine)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deals.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows([HEADER, *grid])
        report = import_file(engine, path, MAPPING, skip_invalid=skip_invalid)
    after = counts(engine)
    assert report.outcome in ("ok", "invalid"), report.to_text()
    if report.outcome == "invalid":
        assert report.problems and after == before
        return
    bad = {p.row for p in report.problems}
    written = {cells[0].strip() for n, cells in enumerate(grid, start=2) if n not in bad}
    imported |= written
    assert after["deals"] == len(imported)
    assert report.tables["deals"].rejected == len(bad)
