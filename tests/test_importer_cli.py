"""``python -m crm_data import``: exit codes and the lines it prints (0 imported, 1 invalid or
failed, 2 usage), and never a traceback for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.config import resolve_url as app_url
from crm_data.__main__ import main
from crm_data.config import resolve_app_url
from crm_data.importer.log import IMPORT_LOG
from tests.support.databases import use_app_database

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "importer"
MAPPING = str(ROOT / "crm_data" / "mappings" / "deals_sheet.yaml")


@pytest.fixture
def urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, sa.Engine]:
    """A CRM DuckDB URL in ``tmp_path`` and the (upgraded) app database the CLI logs to."""
    app = use_app_database(tmp_path, monkeypatch)
    return f"duckdb:///{tmp_path / 'crm.duckdb'}", app


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = main(["import", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_an_import(urls: tuple[str, sa.Engine], capsys: pytest.CaptureFixture[str]) -> None:
    url, app = urls
    code, out, err = run(capsys, str(DATA / "deals_ru.csv"), "--mapping", MAPPING, "--url", url)
    assert (code, err) == (0, [])
    assert out[0].startswith("deals_ru.csv: imported in ")
    assert out[1:] == [
        "mapping 'deals_sheet', source 'spreadsheet'",
        "  deals: read 7, added 7, updated 0, rejected 0",
        "  stages: added 6, updated 0",
        "  teams: added 2, updated 0",
        "  lost_reasons: added 2, updated 0",
        "  employees: added 2, updated 0",
        "  accounts: added 3, updated 0",
        "  deal_stage_history: added 13, updated 0",
        "  stage history: the first stage at the creation date, then the current stage at its "
        "stage-change date, else the close date for won/lost deals, else the creation date",
    ]
    code, out, _ = run(capsys, str(DATA / "deals_ru.csv"), "--mapping", MAPPING, "--url", url)
    assert code == 0 and out[2] == "  deals: read 7, added 0, updated 0, rejected 0"
    with app.connect() as conn:
        logged = conn.execute(sa.select(IMPORT_LOG.c.rows_added, IMPORT_LOG.c.outcome)).all()
    app.dispose()
    assert [tuple(r) for r in logged] == [(35, "ok"), (0, "ok")]


def test_an_invalid_file(
    urls: tuple[str, sa.Engine], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = urls
    app.dispose()
    text = (DATA / "deals_en.csv").read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("3000,USD", "3 thousand,USD").replace("D-8,", "D-1,"), "utf-8")
    code, out, err = run(capsys, str(bad), "--mapping", MAPPING, "--url", url)
    assert (code, out) == (1, [])
    assert err == [
        "bad.csv: 2 problem(s); nothing was written (fix the file, or use --skip-invalid to "
        "write the valid rows)",
        "mapping 'deals_sheet', source 'spreadsheet'",
        "  deals: read 8, added 0, updated 0, rejected 2",
        "problems (2, the first 2):",
        "  bad.csv:5 Amount '3 thousand' — not a number — write a number such as 1234.56 or "
        "1 234,56",
        "  bad.csv:9 Deal ID 'D-1' — the external id repeats row 2 — give every deal its own "
        "id or remove the repeated row",
    ]
    code, out, err = run(capsys, str(bad), "--mapping", MAPPING, "--url", url, "--skip-invalid")
    assert (code, err) == (0, [])
    assert out[2] == "  deals: read 8, added 6, updated 0, rejected 2"
    assert out[-1] == f"rejected rows written to {tmp_path / 'bad.rejects.csv'}"
    code, out, err = run(capsys, str(bad), "--mapping", MAPPING, "--url", url, "--dry-run")
    assert code == 1 and err[0].startswith("bad.csv: 2 problem(s)")


def test_a_dry_run(urls: tuple[str, sa.Engine], capsys: pytest.CaptureFixture[str]) -> None:
    url, app = urls
    app.dispose()
    args = (str(DATA / "deals_en.csv"), "--mapping", MAPPING, "--url", url, "--dry-run")
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert out[0].startswith("deals_en.csv: checked (dry run, nothing written) in ")
    assert out[2] == "  deals: read 8, added 0, updated 0, rejected 0"


@pytest.mark.parametrize(
    ("path", "mapping", "line"),
    [
        (
            "missing.csv",
            MAPPING,
            "missing.csv: import failed, nothing was written: there is no file {tmp}/missing.csv; "
            "check the path",
        ),
        (
            str(DATA / "deals_en.csv"),
            "bad.yaml",
            "deals_en.csv: import failed, nothing was written: the mapping file {tmp}/bad.yaml "
            "is not valid YAML (while parsing a flow sequence); fix its syntax",
        ),
        (
            str(DATA / "deals_en.csv"),
            "unknown.yaml",
            "deals_en.csv: import failed, nothing was written: {tmp}/unknown.yaml: mapping "
            "'deals_sheet': "
            "columns.amuont: unknown key; use one of external_id, title, account, owner, team, "
            "stage, status, amount, currency, created_at, closed_at, expected_close_at, "
            "stage_changed_at, product_line, source, lost_reason (or remove it)",
        ),
    ],
)
def test_bad_input_is_one_line(
    path: str,
    mapping: str,
    line: str,
    urls: tuple[str, sa.Engine],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, app = urls
    app.dispose()
    (tmp_path / "bad.yaml").write_text("columns: [a, b\n", encoding="utf-8")
    (tmp_path / "unknown.yaml").write_text(
        (ROOT / "crm_data" / "mappings" / "deals_sheet.yaml")
        .read_text(encoding="utf-8")
        .replace("  amount:", "  amuont:"),
        encoding="utf-8",
    )
    full_path = path if "/" in path else str(tmp_path / path)
    full_mapping = mapping if "/" in mapping else str(tmp_path / mapping)
    code, out, err = run(capsys, full_path, "--mapping", full_mapping, "--url", url)
    assert (code, out) == (1, [])
    assert err[0] == line.format(tmp=tmp_path)


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["import", "deals.csv"])  # no --mapping
    assert caught.value.code == 2
    assert "the following arguments are required: --mapping" in capsys.readouterr().err


def test_the_app_database_is_found_as_the_app_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_APP_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert resolve_app_url() == app_url()
    assert resolve_app_url("sqlite:///given.sqlite") == app_url("sqlite:///given.sqlite")
    monkeypatch.delenv("CRM_APP_DATABASE_URL")
    monkeypatch.chdir(tmp_path)  # no secrets file here: the default
    assert resolve_app_url() == app_url()


def test_an_unreachable_database_as_a_user_sees_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm_data",
            "import",
            str(DATA / "deals_en.csv"),
            "--mapping",
            MAPPING,
            "--url",
            "postgresql+psycopg://nobody@127.0.0.1:9/none",
            "--app-url",
            f"sqlite:///{tmp_path / 'app.sqlite'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith(
        "deals_en.csv: import failed, nothing was written: the database "
        "postgresql+psycopg://nobody@127.0.0.1:9/none refused the import (connection failed"
    )


def test_a_url_that_cannot_be_used(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, str(DATA / "deals_en.csv"), "--mapping", MAPPING, "--url", "nosuch://x"
    )
    assert (code, out, len(err)) == (1, [], 1)
    assert err[0].startswith("error: Cannot open the CRM database nosuch://x")


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path) -> None:
    # ``python -m crm_data import ... | head -1``: the pipe is closed before the report is printed
    process = subprocess.Popen(
        [sys.executable, "-m", "crm_data", "import", str(DATA / "deals_en.csv"), "--mapping",
         MAPPING, "--url", f"duckdb:///{tmp_path / 'crm.duckdb'}",
         "--app-url", f"sqlite:///{tmp_path / 'app.sqlite'}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    error = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in error and "BrokenPipeError" not in error
