"""The Data page's import log (issue #20): what ``python -m crm_data import`` recorded in the
app database, newest first, for admins only, in English and Russian (``AppTest``)."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from appdb import upgrade
from appdb.databases import Databases
from crm_data.importer.log import record_import
from crm_data.importer.run import ImportReport
from crm_data.importer.write import TableCounts
from tests.support.apptest import app_database_fixtures, page_in

url, engine, databases = app_database_fixtures("data_imports")
PAGE = "pages/data.py"


def _report(file: str, outcome: str, added: int, rejected: int = 0) -> ImportReport:
    report = ImportReport(file=file, mapping="deals_sheet", source="spreadsheet",
                          dry_run=False, outcome=outcome)  # fmt: skip
    report.tables["deals"] = TableCounts(read=added + rejected, added=added, rejected=rejected)
    return report


def _table(at: AppTest) -> list[dict[str, object]]:
    """The rows of the import log's table (its first column: the file)."""
    frame = next(d.value for d in at.dataframe if {"File", "Файл"} & set(d.value.columns))
    records: list[dict[str, object]] = frame.to_dict("records")
    return records


def test_the_import_log_for_admins_only(url: str, databases: Databases) -> None:
    upgrade(databases.app)
    at = page_in("en", PAGE)
    assert "Imports" in [h.value for h in at.subheader]
    assert any(c.value.startswith("No import yet.") for c in at.caption)

    record_import(databases.app, _report("deals_q1.csv", "ok", 40), user="ann@example.com")
    record_import(databases.app, _report("deals_q2.xlsx", "invalid", 0, rejected=1))
    checked = _report("deals_q3.csv", "ok", 0)
    checked.dry_run = True
    record_import(databases.app, checked)
    at = page_in("en", PAGE)
    rows = _table(at)
    assert [(r["File"], r["Outcome"], r["Added"], r["Rejected"], r["By"]) for r in rows] == [
        ("deals_q3.csv", "checked, nothing written (dry run)", 0, 0, "command line"),
        ("deals_q2.xlsx", "refused: invalid rows", 0, 1, "command line"),
        ("deals_q1.csv", "imported", 40, 0, "ann@example.com"),
    ]
    assert all(re.fullmatch(r".+ \d\d:\d\d", str(r["Imported (UTC)"])) for r in rows)

    russian = _table(page_in("ru", PAGE))
    assert [(r["Файл"], r["Результат"]) for r in russian] == [
        ("deals_q3.csv", "проверен, ничего не записано (пробный запуск)"),
        ("deals_q2.xlsx", "отклонён: ошибки в строках"),
        ("deals_q1.csv", "загружен"),
    ]
    analyst = page_in("en", PAGE, role="analyst")  # the log names files and who imported
    assert "Imports" not in [h.value for h in analyst.subheader]
