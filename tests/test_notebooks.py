"""Every notebook in ``notebooks/`` runs top to bottom against a fresh S demo database, and is
stored without outputs (so diffs stay readable and no data leaks into git)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from crm_data.config import create_crm_engine

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS][:1] == ["01_quickstart.ipynb"]


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
def s_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh size-S demo database (DuckDB) ending on a fixed date."""
    from crm_data.demo import seed_demo

    url = f"duckdb:///{tmp_path_factory.mktemp('nb') / 'crm.duckdb'}"
    engine = create_crm_engine(url)
    seed_demo(engine, size="S", seed=42, end=date(2026, 6, 30))
    engine.dispose()
    return url


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, s_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", s_database)
    monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    charts = [
        cell
        for cell in code
        if "fig.show()" in cell.source
        and any("application/vnd.plotly.v1+json" in out.get("data", {}) for out in cell.outputs)
    ]
    assert charts, "every notebook draws at least one Plotly chart"
