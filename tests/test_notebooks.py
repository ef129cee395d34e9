"""Every notebook in ``notebooks/`` runs top to bottom against a fresh S demo database, as an
analyst runs it: the kernel started in ``notebooks/`` (Jupyter's default) with the project
installed (``pip install -e .``, no ``PYTHONPATH``), while another process holds the DuckDB file
read-only (the running app: the notebook reads the file itself) or for writing (a seeding: the
notebook reads a copy).  The notebooks use the dashboard's periods, write nothing unless asked
(and then into the app database), and are stored without outputs (so diffs stay readable and no
data leaks into git)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient

from appdb import upgrade
from appdb.config import create_app_engine
from appdb.schema import PLANS
from crm_data.config import create_crm_engine
from tests.support.databases import hold_duckdb_lock

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: The demo's last day: "today" of the dashboard in these runs.
TODAY = "2026-06-29"

#: A cell appended to each notebook: its period is the dashboard's for TODAY (hand-computed:
#: "Last 12 months" on 29 June 2026 is 1 July 2025 to 29 June 2026 included; "Last quarter" is
#: the second quarter, the running one the third).
PERIOD_CHECKS = {
    "01_quickstart.ipynb": "assert (filters.start, filters.end) == "
    "(date(2025, 7, 1), date(2026, 6, 30)), filters",
    "02_funnel.ipynb": "assert (filters.start, filters.end, filters.compare_period()) == "
    "(date(2025, 7, 1), date(2026, 6, 30), (date(2024, 7, 1), date(2025, 6, 30))), filters",
    "03_incentive_design.ipynb": "assert [str(q) for q in quarters] == "
    "['2025Q2', '2025Q3', '2025Q4', '2026Q1'] and str(running) == '2026Q2', quarters",
    "04_rep_performance.ipynb": "assert (filters.start, filters.end) == "
    "(date(2025, 7, 1), date(2026, 6, 30)), filters",
    "05_segments_and_clv.ipynb": "assert (filters.end, report.as_of) == "
    "(date(2026, 6, 30), date(2026, 6, 30)), filters",
    "06_forecasting.ipynb": "assert (report.as_of, series.partial_month, q.start, q.end) == "
    "(date(2026, 6, 30), pd.Timestamp(2026, 6, 1), date(2026, 4, 1), date(2026, 7, 1)), q",
}


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == list(PERIOD_CHECKS)


def test_the_project_is_importable_from_anywhere(tmp_path: Path) -> None:
    """The README's install commands install the project in editable mode: a kernel started in
    any folder, without PYTHONPATH, imports this checkout's packages."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "import analytics, crm_data, reports; print(crm_data.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert found.returncode == 0, f"run: pip install -r requirements-dev.txt\n{found.stderr}"
    assert Path(found.stdout.strip()) == ROOT / "crm_data" / "__init__.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs; clear them before committing"


@pytest.fixture(scope="module")
def s_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh size-S demo database (DuckDB) ending on a fixed date."""
    from crm_data.demo import seed_demo

    path = tmp_path_factory.mktemp("nb") / "crm.duckdb"
    engine = create_crm_engine(f"duckdb:///{path}")
    seed_demo(engine, size="S", seed=42, end=date(2026, 6, 30))
    engine.dispose()
    return path


@pytest.fixture
def analyst_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment of an analyst's kernel: no PYTHONPATH, the dashboard's today pinned."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("CRM_TODAY", TODAY)
    monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype")
    yield


def _plan_versions() -> int:
    """The plan versions in the app database (``CRM_APP_DATABASE_URL``)."""
    engine = create_app_engine()
    upgrade(engine)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(PLANS)).scalar_one()
    engine.dispose()
    return int(count)


def _tables(path: Path) -> list[str]:
    """The tables of the DuckDB file ``path``."""
    engine = create_crm_engine(f"duckdb:///{path}", read_only=True)
    tables = sorted(sa.inspect(engine).get_table_names())
    engine.dispose()
    return tables


def _run(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """Execute ``nb`` in a kernel started in ``notebooks/``; return its code cells."""
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return [cell for cell in nb.cells if cell.cell_type == "code"]


#: (notebook, how another process holds the file): every notebook beside the running app (which
#: opens the file read-only), the quickstart also beside a seeding (which writes it).
RUNS = [
    *((path, "read-only") for path in NOTEBOOKS),
    (ROOT / "notebooks" / "01_quickstart.ipynb", "writing"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "holder"), RUNS, ids=lambda v: getattr(v, "name", v))
def test_notebook_runs_beside_the_app_and_a_seeding(
    path: Path,
    holder: str,
    s_database: Path,
    analyst_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", f"duckdb:///{s_database}")
    versions, tables = _plan_versions(), _tables(s_database)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell("from datetime import date\n" + PERIOD_CHECKS[path.name])
    )
    with hold_duckdb_lock(s_database, read_only=holder == "read-only"):
        code = _run(nb)
    assert all(cell.execution_count for cell in code)
    charts = [
        cell
        for cell in code
        if "fig.show()" in cell.source
        and any("application/vnd.plotly.v1+json" in out.get("data", {}) for out in cell.outputs)
    ]
    assert charts, "every notebook draws at least one Plotly chart"
    copied = [
        out
        for out in code[0].outputs
        if out.get("name") == "stderr" and "reading a copy taken at" in out.get("text", "")
    ]
    # beside a writer the first cell says that it reads a copy; beside the app, the file itself
    assert bool(copied) == (holder == "writing"), code[0].outputs
    assert _plan_versions() == versions, "a notebook saved plans without being asked"
    assert _tables(s_database) == tables


@pytest.mark.slow
def test_incentive_notebook_stores_the_plans_when_asked(
    s_database: Path, analyst_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", f"duckdb:///{s_database}")
    monkeypatch.setenv("CRM_APP_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    versions = _plan_versions()
    nb = nbformat.read(ROOT / "notebooks" / "03_incentive_design.ipynb", as_version=4)
    [switch] = [cell for cell in nb.cells if "SAVE_PLANS = False" in cell.source]
    switch.source = switch.source.replace("SAVE_PLANS = False", "SAVE_PLANS = True")
    with hold_duckdb_lock(s_database, read_only=True):  # the app keeps running meanwhile
        _run(nb)
    assert _plan_versions() == versions + 2
