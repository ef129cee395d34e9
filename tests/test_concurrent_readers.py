"""DESIGN.md §3: the app only reads the CRM database, so on the default DuckDB file the running
app, a notebook and the command line's read commands work at the same time (issue #15).

The app runs as it does for a user (``streamlit run``, a page open in Chromium); meanwhile
``python -m crm_data info`` and the quickstart notebook read the same file, the notebook the
file itself (not a copy, which it reads only beside a writer), and the page still renders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient

from crm_data.demo import seed_demo
from tests.support.apptest import TODAY
from tests.support.browser import App, open_page, wait_for_app_run

ROOT = Path(__file__).resolve().parents[1]


def _info(url: str) -> dict[str, Any]:
    """``python -m crm_data info --json`` on ``url``, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "crm_data", "info", "--url", url, "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _notebook(url: str) -> list[Any]:
    """The quickstart notebook run top to bottom on ``url``; its code cells."""
    nb = nbformat.read(ROOT / "notebooks" / "01_quickstart.ipynb", as_version=4)
    env = {"CRM_DATABASE_URL": url, "CRM_TODAY": TODAY.isoformat()}
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )  # fmt: skip
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return [cell for cell in nb.cells if cell.cell_type == "code"]


@pytest.mark.slow
def test_the_app_a_notebook_and_the_cli_read_the_file_at_once(
    browser: Any, sync_api: Any, tmp_path: Path
) -> None:
    path = tmp_path / "crm.duckdb"
    url = f"duckdb:///{path}"
    engine = sa.create_engine(url)
    report = seed_demo(engine, size="XS", seed=42, end=date(2026, 6, 30))
    engine.dispose()
    expect = sync_api.expect
    app = App(url, tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/data")
        expect(page.get_by_text("Demo data", exact=False).first).to_be_visible()
        # the app has the file open; the command line reads it meanwhile
        info = _info(url)
        rows = {table["name"]: table["rows"] for table in info["tables"]}
        assert rows["deals"] == report.row_counts["deals"] > 0
        # and so does a notebook, from the file itself
        code = _notebook(url)
        assert all(cell.execution_count for cell in code)
        stderr = "".join(
            out.get("text", "") for out in code[0].outputs if out.get("name") == "stderr"
        )
        assert "reading a copy" not in stderr
        # the app goes on serving
        page.reload()
        wait_for_app_run(page, sync_api)
        expect(page.get_by_text(f"{report.row_counts['deals']:,}").first).to_be_visible()
        assert not page.get_by_test_id("stException").count()
        page.close()
    finally:
        app.stop()
