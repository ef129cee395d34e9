"""Importing deals sheets (``crm_data.importer.import_file``) on every dialect: exact rows per
table, re-imports that change nothing, updates by external id, all-or-nothing writes, rejects
files, and the import log in the app database.

The fixtures (``tests/data/importer``), counted by hand:

``deals_en.csv`` (UTF-8, commas, ``1,200.50``): 8 deals D-1..D-8 of 4 accounts (Acme Corp,
Beta LLC, Delta Inc, "Epsilon, Ltd"), 3 owners (ann@example.com, Bob Smith, Cara Jones),
2 teams (North, South), 2 lost reasons (Price, No budget); won D-1 1200.50 + D-4 3000 + D-8
999.99 = 5200.49, lost D-2 800 + D-6 1000 = 1800, open D-3 2500 + D-5 150.25 + D-7 4000 =
6650.25.  Stage history: D-5 is in the first stage (New): 1 row; the 7 others 2 rows: 15.

``deals_ru.csv`` (cp1251, semicolons, ``dd.mm.yyyy``, ``1 234,56``): 7 deals R-1..R-7 of
3 accounts, 2 owners, 2 teams, 2 lost reasons; won R-1 1234.56 + R-5 99999.99 = 101234.55,
lost R-3 250000 + R-7 5000 = 255000, open R-2 10000 + R-4 45500.5 + R-6 12345.67 =
67846.17.  History: R-4 is New: 1 row; the 6 others 2: 13.

Both fill the 6 stages of the mapping's pipeline ``Sales`` (created once, shared).
"""

from __future__ import annotations

import csv
import gzip
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from crm_data.config import create_crm_engine
from crm_data.demo import seed_demo
from crm_data.importer import import_file, load_mapping
from crm_data.importer.log import IMPORT_LOG, LOG_COLUMNS, recent_imports
from crm_data.importer.validate import Problem
from crm_data.schema import Base
from tests.support.databases import fresh_engine, use_app_database

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "importer"
MAPPING_FILE = ROOT / "crm_data" / "mappings" / "deals_sheet.yaml"
MAPPING = load_mapping(MAPPING_FILE)
TABLES = (
    "deals",
    "accounts",
    "employees",
    "teams",
    "stages",
    "lost_reasons",
    "deal_stage_history",
    "import_keys",
)
EN_COUNTS = dict(zip(TABLES, (8, 4, 3, 2, 6, 2, 15, 25), strict=True))
RU_COUNTS = dict(zip(TABLES, (7, 3, 2, 2, 6, 2, 13, 22), strict=True))
BOTH_COUNTS = dict(zip(TABLES, (15, 7, 5, 4, 6, 4, 28, 41), strict=True))


def counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per table of :data:`TABLES` (0 for a table not created yet)."""
    with engine.connect() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        return {
            name: int(
                conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            )
            if name in existing
            else 0
            for name in TABLES
        }


def by_status(engine: sa.Engine) -> dict[str, tuple[int, float]]:
    deals = Base.metadata.tables["deals"]
    query = sa.select(deals.c.status, sa.func.count(), sa.func.sum(deals.c.amount)).group_by(
        deals.c.status
    )
    with engine.connect() as conn:
        return {s: (int(n), round(float(v), 2)) for s, n, v in conn.execute(query).all()}


def deal(engine: sa.Engine, title: str) -> dict[str, object]:
    deals = Base.metadata.tables["deals"]
    with engine.connect() as conn:
        row = conn.execute(sa.select(deals).where(deals.c.title == title)).mappings().one()
        return dict(row)


def history(engine: sa.Engine, title: str) -> list[tuple[str, datetime, float]]:
    deals, stages = Base.metadata.tables["deals"], Base.metadata.tables["stages"]
    hist = Base.metadata.tables["deal_stage_history"]
    query = (
        sa.select(stages.c.name, hist.c.entered_at, hist.c.amount)
        .join(stages, stages.c.id == hist.c.stage_id)
        .join(deals, deals.c.id == hist.c.deal_id)
        .where(deals.c.title == title)
        .order_by(hist.c.entered_at, hist.c.id)
    )
    with engine.connect() as conn:
        return [(n, at, float(a)) for n, at, a in conn.execute(query).all()]


def edited(tmp_path: Path, name: str, replace: dict[str, str], keep: slice | None = None) -> Path:
    """A copy of ``deals_en.csv`` with text replaced and only the data rows ``keep``."""
    lines = (DATA / "deals_en.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    text = "\n".join([header, *(rows[keep] if keep else rows)]) + "\n"
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_english_sheet(empty_engine: sa.Engine) -> None:
    report = import_file(empty_engine, DATA / "deals_en.csv", MAPPING)
    assert report.outcome == "ok", report.to_text()
    assert counts(empty_engine) == EN_COUNTS
    assert by_status(empty_engine) == {
        "won": (3, 5200.49),
        "lost": (2, 1800.0),
        "open": (3, 6650.25),
    }
    assert {
        name: (c.read, c.added, c.updated, c.rejected) for name, c in report.tables.items()
    } == {
        "deals": (8, 8, 0, 0),
        "stages": (0, 6, 0, 0),
        "teams": (0, 2, 0, 0),
        "lost_reasons": (0, 2, 0, 0),
        "employees": (0, 3, 0, 0),
        "accounts": (0, 4, 0, 0),
        "deal_stage_history": (0, 15, 0, 0),
    }
    assert len(report.sha256) == 64 and not report.problems and report.rejects is None
    d1 = deal(empty_engine, "Alpha renewal")
    assert (d1["amount"], d1["currency"], d1["status"]) == (1200.5, "USD", "won")
    assert d1["created_at"] == datetime(2026, 1, 5)
    assert d1["closed_at"] == datetime(2026, 2, 10)
    assert d1["expected_close_at"] == date(2026, 2, 1)
    assert (d1["product_line"], d1["source"], d1["lost_reason_id"]) == ("Hardware", "Web", None)
    # the history rule: the first stage at creation, the won stage at the close date
    assert history(empty_engine, "Alpha renewal") == [
        ("New", datetime(2026, 1, 5), 1200.5),
        ("Won", datetime(2026, 2, 10), 1200.5),
    ]
    # an open deal past the first stage: its current stage at the creation date
    assert history(empty_engine, "Gamma expansion") == [
        ("New", datetime(2026, 2, 1), 2500.0),
        ("Proposal", datetime(2026, 2, 1), 2500.0),
    ]
    assert history(empty_engine, "Epsilon") == [("New", datetime(2026, 3, 1), 150.25)]
    employees = Base.metadata.tables["employees"]
    with empty_engine.connect() as conn:
        staff = conn.execute(
            sa.select(employees.c.name, employees.c.email, employees.c.hired_at).order_by("id")
        ).all()
    assert [tuple(r) for r in staff] == [
        ("ann", "ann@example.com", date(2026, 1, 5)),
        ("Bob Smith", "bob.smith.2@imported.invalid", date(2026, 1, 10)),
        ("Cara Jones", "cara.jones.3@imported.invalid", date(2026, 2, 15)),
    ]


def test_russian_sheet_then_english_then_again(empty_engine: sa.Engine) -> None:
    report = import_file(empty_engine, DATA / "deals_ru.csv", MAPPING)
    assert report.outcome == "ok", report.to_text()
    assert counts(empty_engine) == RU_COUNTS
    assert by_status(empty_engine) == {
        "won": (2, 101234.55),
        "lost": (2, 255000.0),
        "open": (3, 67846.17),
    }
    r3 = deal(empty_engine, "Внедрение")
    assert (r3["amount"], r3["currency"], r3["status"]) == (250000.0, "RUB", "lost")
    assert history(empty_engine, "Сервис") == [
        ("New", datetime(2026, 2, 20), 99999.99),
        ("Won", datetime(2026, 3, 25), 99999.99),
    ]
    assert import_file(empty_engine, DATA / "deals_en.csv", MAPPING).outcome == "ok"
    assert counts(empty_engine) == BOTH_COUNTS
    before = by_status(empty_engine)
    again = import_file(empty_engine, DATA / "deals_en.csv", MAPPING)
    assert again.outcome == "ok"
    assert {n: (c.added, c.updated) for n, c in again.tables.items()} == {"deals": (0, 0)}
    assert counts(empty_engine) == BOTH_COUNTS
    assert by_status(empty_engine) == before


def test_an_overlapping_file_updates_the_changed_row(
    empty_engine: sa.Engine, tmp_path: Path
) -> None:
    import_file(empty_engine, DATA / "deals_en.csv", MAPPING)
    ids = {t: deal(empty_engine, t)["id"] for t in ("Beta pilot", "Gamma expansion")}
    # D-2..D-4, with D-3's amount 2,500 -> 2,750 and a new deal D-9
    overlap = edited(
        tmp_path,
        "overlap.csv",
        {'"2,500"': '"2,750"'},
        keep=slice(1, 4),
    )
    with overlap.open("a", encoding="utf-8") as fh:
        fh.write(
            "D-9,Iota,Acme Corp,ann@example.com,North,New,Open,10,USD,2026-05-01,,,Hardware,,\n"
        )
    report = import_file(empty_engine, overlap, MAPPING)
    assert report.outcome == "ok", report.to_text()
    assert {n: (c.read, c.added, c.updated) for n, c in report.tables.items()} == {
        "deals": (4, 1, 1),
        "deal_stage_history": (0, 1, 2),
    }
    expected = {**EN_COUNTS, "deals": 9, "deal_stage_history": 16, "import_keys": 26}
    assert counts(empty_engine) == expected
    gamma = deal(empty_engine, "Gamma expansion")
    assert (gamma["id"], gamma["amount"]) == (ids["Gamma expansion"], 2750.0)
    assert deal(empty_engine, "Beta pilot")["id"] == ids["Beta pilot"]
    assert history(empty_engine, "Gamma expansion") == [
        ("New", datetime(2026, 2, 1), 2750.0),
        ("Proposal", datetime(2026, 2, 1), 2750.0),
    ]
    assert by_status(empty_engine)["open"] == (4, 6910.25)  # 2750 + 150.25 + 4000 + 10


def test_one_bad_row_writes_nothing(empty_engine: sa.Engine, tmp_path: Path) -> None:
    import_file(empty_engine, DATA / "deals_ru.csv", MAPPING)
    before = counts(empty_engine)
    bad = edited(tmp_path, "bad.csv", {"3000,USD": "3 thousand,USD"})
    report = import_file(empty_engine, bad, MAPPING)
    assert report.outcome == "invalid"
    assert counts(empty_engine) == before
    assert report.problems == [
        Problem(
            "bad.csv",
            5,
            "Amount",
            "3 thousand",
            "not a number",
            "write a number such as 1234.56 or 1 234,56",
        )
    ]
    assert report.tables["deals"].read == 8 and report.tables["deals"].rejected == 1
    assert report.totals().added == 0
    assert "bad.csv:5 Amount '3 thousand' — not a number — write a number" in report.to_text()


def test_skip_invalid_writes_the_valid_rows_and_the_rejects(
    empty_engine: sa.Engine, tmp_path: Path
) -> None:
    bad = edited(
        tmp_path,
        "deals.csv",
        {
            "3000,USD": "3 thousand,USD",  # D-4, row 5
            "D-6,Zeta,Delta Inc,Cara Jones,South,Lost,Lost": "D-6,Zeta,Delta Inc,,South,Maybe,Lost",
            "D-8,": "D-1,",  # row 9 repeats D-1's id
        },
    )
    report = import_file(empty_engine, bad, MAPPING, skip_invalid=True)
    assert report.outcome == "ok", report.to_text()
    assert report.tables["deals"].rejected == 3 and report.problem_count == 4
    assert report.rejects == tmp_path / "deals.rejects.csv"
    with report.rejects.open(encoding="utf-8", newline="") as fh:
        rejected = list(csv.reader(fh))
    header = (DATA / "deals_en.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert rejected == [
        [*header, "import_row", "import_problems"],
        [
            *[
                "D-4",
                "Delta deal",
                "Delta Inc",
                "Cara Jones",
                "South",
                "Won",
                "Won",
                "3 thousand",
                "USD",
            ],
            *["2026-02-15", "2026-03-20", "", "Services", "Event", "", "5"],
            "Amount '3 thousand': not a number — write a number such as 1234.56 or 1 234,56",
        ],
        [
            *["D-6", "Zeta", "Delta Inc", "", "South", "Maybe", "Lost"],
            "1,000",
            "USD",
            *["2026-03-05", "2026-03-30", "", "Services", "Web", "No budget", "7"],
            "Owner '': required value missing — fill in the owner; Stage 'Maybe': unknown "
            "value (expected one of: New, Qualified, Proposal, Negotiation, Won, Lost, Новая, "
            "Квалификация, Предложение, КП отправлено, Переговоры, Выиграна, Успешно "
            "реализовано, Проиграна, Закрыто и не реализовано) — use one of these words or "
            "add this one to the mapping's values",
        ],
        [
            *["D-1", "Theta", "Acme Corp", "Cara Jones", "South", "Won", "Won", "999.99", "USD"],
            *["2026-04-01", "2026-04-20", "", "Hardware", "Web", "", "9"],
            "Deal ID 'D-1': the external id repeats row 2 — give every deal its own id or "
            "remove the repeated row",
        ],
    ]
    # D-4, D-6 and D-8 are gone: Cara Jones and Delta Inc have no deal left; one lost reason
    assert counts(empty_engine) == {
        "deals": 5,
        "accounts": 3,
        "employees": 2,
        "teams": 1,
        "stages": 6,
        "lost_reasons": 1,
        "deal_stage_history": 9,
        "import_keys": 5 + 3 + 2 + 1 + 6 + 1,
    }
    assert by_status(empty_engine) == {"won": (1, 1200.5), "lost": (1, 800.0), "open": (3, 6650.25)}


def test_dry_run_writes_nothing(empty_engine: sa.Engine, tmp_path: Path) -> None:
    report = import_file(empty_engine, DATA / "deals_en.csv", MAPPING, dry_run=True)
    assert report.outcome == "ok" and report.tables["deals"].read == 8
    assert counts(empty_engine) == dict.fromkeys(TABLES, 0)
    bad = edited(tmp_path, "bad.csv", {"3000,USD": "3 thousand,USD"})
    checked = import_file(empty_engine, bad, MAPPING, dry_run=True, skip_invalid=True)
    assert checked.problem_count == 1 and checked.rejects is None
    assert not (tmp_path / "bad.rejects.csv").exists()
    assert counts(empty_engine) == dict.fromkeys(TABLES, 0)


def test_a_failure_in_the_last_table_written_leaves_nothing(empty_engine: sa.Engine) -> None:
    import_file(empty_engine, DATA / "deals_ru.csv", MAPPING)
    before = counts(empty_engine)
    # one history row per deal at most: the English file's second rows break it
    with empty_engine.begin() as conn:
        conn.execute(
            sa.text("CREATE UNIQUE INDEX ux_test_once ON deal_stage_history (stage_id, entered_at)")
        )
    report = import_file(empty_engine, DATA / "deals_en.csv", MAPPING)
    assert report.outcome == "failed"
    assert "every change was rolled back" in report.message
    assert report.totals().added == 0
    assert counts(empty_engine) == before


def test_progress_is_reported(empty_engine: sa.Engine) -> None:
    seen: list[tuple[float, str]] = []
    import_file(
        empty_engine, DATA / "deals_en.csv", MAPPING, progress=lambda f, m: seen.append((f, m))
    )
    assert seen == [
        (0.25, "checked 8 rows"),
        (1.0, "wrote 8 of 8 rows"),
        (1.0, "done"),
    ]


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_gzip_and_xlsx(dialect: str, tmp_path: Path) -> None:
    packed = tmp_path / "deals.csv.gz"
    with (DATA / "deals_en.csv").open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    lines = (DATA / "deals_ru.csv").read_text(encoding="cp1251").splitlines()
    sheet.append(lines[0].split(";"))
    for line in lines[1:]:
        cells: list[object] = line.split(";")
        cells[9] = datetime.strptime(str(cells[9]), "%d.%m.%Y")  # a real date cell
        sheet.append(cells)
    book.save(tmp_path / "deals.xlsx")
    (tmp_path / "db").mkdir()
    with fresh_engine(dialect, tmp_path / "db") as engine:
        assert import_file(engine, packed, MAPPING).outcome == "ok"
        report = import_file(engine, tmp_path / "deals.xlsx", MAPPING)
        assert report.outcome == "ok", report.to_text()
        assert counts(engine) == BOTH_COUNTS
        assert deal(engine, "Поставка серверов")["created_at"] == datetime(2026, 1, 5)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "there is no file"),
        ("empty.csv", b"", "has no header row"),
        ("twice.csv", b"Deal ID,Deal ID\n1,2\n", "repeats the header(s) 'Deal ID'"),
        ("short.csv", b"Deal ID,Title\n1,x\n", "columns.account: the file has none of the headers"),
        ("book.xlsx", b"not a zip", "cannot read"),
        ("ragged.csv", b"a,b\n1,2,3,4\n", "columns.external_id"),
    ],
)
def test_unusable_files_fail_with_one_message(
    name: str, content: bytes | None, message: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'crm.sqlite'}")
    report = import_file(engine, path, MAPPING)
    engine.dispose()
    assert report.outcome == "failed"
    assert message in report.message
    assert "\n" not in report.message


def test_the_import_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = use_app_database(tmp_path, monkeypatch)
    (tmp_path / "crm").mkdir()
    with fresh_engine("sqlite", tmp_path / "crm") as crm:
        import_file(crm, DATA / "deals_en.csv", MAPPING, app_engine=app, user="ann@example.com")
        bad = edited(tmp_path, "bad.csv", {"3000,USD": "3 thousand,USD"})
        import_file(crm, bad, MAPPING, app_engine=app)
        import_file(crm, DATA / "deals_ru.csv", MAPPING, dry_run=True, app_engine=app)
        import_file(crm, tmp_path / "nothing.csv", MAPPING, app_engine=app)
    with app.connect() as conn:
        rows = conn.execute(sa.select(IMPORT_LOG).order_by(IMPORT_LOG.c.id)).mappings().all()
    app.dispose()
    picked = [
        (
            r["user_email"],
            r["source"],
            r["file_name"],
            r["mapping_name"],
            r["rows_added"],
            r["rows_updated"],
            r["rows_rejected"],
            r["dry_run"],
            r["outcome"],
        )
        for r in rows
    ]
    assert picked == [
        ("ann@example.com", "spreadsheet", "deals_en.csv", "deals_sheet", 40, 0, 0, False, "ok"),
        (None, "spreadsheet", "bad.csv", "deals_sheet", 0, 0, 1, False, "invalid"),
        (None, "spreadsheet", "deals_ru.csv", "deals_sheet", 0, 0, 0, True, "ok"),
        (None, "spreadsheet", "nothing.csv", "deals_sheet", 0, 0, 0, False, "failed"),
    ]
    assert (
        rows[0]["file_sha256"]
        == __import__("hashlib").sha256((DATA / "deals_en.csv").read_bytes()).hexdigest()
    )
    assert rows[0]["message"] is None and "there is no file" in rows[3]["message"]
    assert rows[1]["message"] == (
        "1 problem(s), the first: bad.csv:5 Amount '3 thousand' — not a number — write a "
        "number such as 1234.56 or 1 234,56"
    )
    assert isinstance(rows[0]["imported_at"], datetime)
    newest = recent_imports(app)  # what the Data page lists
    assert newest["file_name"].tolist() == [
        "nothing.csv",
        "deals_ru.csv",
        "bad.csv",
        "deals_en.csv",
    ]
    assert list(newest.columns) == LOG_COLUMNS and "id" not in newest
    assert recent_imports(app, limit=1)["outcome"].tolist() == ["failed"]
    app.dispose()
    empty = sa.create_engine(f"sqlite:///{tmp_path / 'no_log.sqlite'}")
    assert recent_imports(empty).empty  # an app database the app never upgraded
    empty.dispose()


def test_without_the_log_table_the_import_still_runs(tmp_path: Path) -> None:
    app = sa.create_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")  # never upgraded
    (tmp_path / "crm").mkdir()
    with fresh_engine("sqlite", tmp_path / "crm") as crm:
        report = import_file(crm, DATA / "deals_en.csv", MAPPING, app_engine=app)
        assert report.outcome == "ok" and counts(crm) == EN_COUNTS
    app.dispose()
    assert report.log_note.startswith("the app database has no import_log table")
    assert report.to_text().endswith(report.log_note)


def all_history(engine: sa.Engine) -> list[tuple[object, ...]]:
    hist = Base.metadata.tables["deal_stage_history"]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(hist).order_by(hist.c.id)).all()]


def test_a_changed_stage_is_updated(empty_engine: sa.Engine, tmp_path: Path) -> None:
    """A stage (a foreign key: DuckDB's hard case) changes on re-import: D-3 is won."""
    import_file(empty_engine, DATA / "deals_en.csv", MAPPING)
    won = edited(
        tmp_path,
        "won.csv",
        {'Proposal,Open,"2,500",USD,2026-02-01,,': 'Won,Won,"2,500",USD,2026-02-01,2026-04-02,'},
    )
    report = import_file(empty_engine, won, MAPPING)
    assert report.outcome == "ok", report.to_text()
    assert {n: (c.added, c.updated) for n, c in report.tables.items()} == {
        "deals": (0, 1),
        "deal_stage_history": (0, 2),
    }
    assert counts(empty_engine) == EN_COUNTS
    assert history(empty_engine, "Gamma expansion") == [
        ("New", datetime(2026, 2, 1), 2500.0),
        ("Won", datetime(2026, 4, 2), 2500.0),
    ]
    assert history(empty_engine, "Alpha renewal") == [
        ("New", datetime(2026, 1, 5), 1200.5),
        ("Won", datetime(2026, 2, 10), 1200.5),
    ]
    assert by_status(empty_engine)["won"] == (4, 7700.49)


def test_a_failed_update_leaves_every_row_as_it_was(
    empty_engine: sa.Engine, tmp_path: Path
) -> None:
    import_file(empty_engine, DATA / "deals_en.csv", MAPPING)
    before, rows_before = counts(empty_engine), all_history(empty_engine)
    deals_before = by_status(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            sa.text("CREATE UNIQUE INDEX ux_test_once ON deal_stage_history (stage_id, entered_at)")
        )
    # D-3 moves on (an update); the new D-9 enters New on D-1's creation day: a violation
    changed = edited(tmp_path, "changed.csv", {"Proposal,Open": "Negotiation,Open"})
    with changed.open("a", encoding="utf-8") as fh:
        fh.write("D-9,Iota,Acme Corp,ann@example.com,North,New,Open,10,USD,2026-01-05,,,,,\n")
    report = import_file(empty_engine, changed, MAPPING)
    assert report.outcome == "failed"
    assert counts(empty_engine) == before
    assert all_history(empty_engine) == rows_before
    assert by_status(empty_engine) == deals_before


def test_names_that_differ_in_letter_case(empty_engine: sa.Engine, tmp_path: Path) -> None:
    """E-mails are one owner whatever their case; external ids and account names are
    compared exactly (also on MySQL/MariaDB, whose default collation ignores case)."""
    sheet = edited(
        tmp_path,
        "case.csv",
        {"D-2,Beta pilot,Beta LLC,Bob Smith": "d-1,Beta pilot,ACME CORP,ANN@example.com"},
        keep=slice(0, 2),
    )
    report = import_file(empty_engine, sheet, MAPPING)
    assert report.outcome == "ok", report.to_text()
    assert {n: c.added for n, c in report.tables.items()}["employees"] == 1
    assert {n: c.added for n, c in report.tables.items()}["accounts"] == 2
    assert counts(empty_engine)["deals"] == 2
    again = import_file(empty_engine, sheet, MAPPING)
    assert {n: (c.added, c.updated) for n, c in again.tables.items()} == {"deals": (0, 0)}


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_blank_lines_keep_the_row_numbers(dialect: str, tmp_path: Path) -> None:
    lines = (DATA / "deals_en.csv").read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("3000,USD", "3 thousand,USD")  # D-4: row 6 after the gap
    sheet = tmp_path / "gaps.csv"
    sheet.write_text("\n".join([*lines[:2], "", *lines[2:], "", ""]) + "\n", encoding="utf-8")
    (tmp_path / "db").mkdir()
    with fresh_engine(dialect, tmp_path / "db") as engine:
        report = import_file(engine, sheet, MAPPING, skip_invalid=True)
        assert [(p.row, p.column) for p in report.problems] == [(6, "Amount")]
        assert counts(engine)["deals"] == 7


def test_a_demo_reseed_forgets_the_imported_keys(tmp_path: Path) -> None:
    engine = create_crm_engine(f"duckdb:///{tmp_path / 'crm.duckdb'}")
    assert import_file(engine, DATA / "deals_en.csv", MAPPING).outcome == "ok"
    assert counts(engine)["import_keys"] == EN_COUNTS["import_keys"]
    seed_demo(engine, size="XS", force=True)  # the imported deals are replaced by the demo's
    assert counts(engine)["import_keys"] == 0
    again = import_file(engine, DATA / "deals_en.csv", MAPPING)  # added, not matched to demo rows
    assert again.tables["deals"].added == 8 and again.tables["deals"].updated == 0
    engine.dispose()


#: An import that dies (the process killed) once DuckDB's history rows are moved aside.
_DIES_MIDWAY = """
import os, sys
import crm_data.importer.write as write
from crm_data.config import create_crm_engine
from crm_data.importer import import_file
write.DealWriter.write = lambda self, records: os._exit(3)
import_file(create_crm_engine(sys.argv[1]), sys.argv[2], sys.argv[3])
"""


def test_an_import_that_dies_midway_is_undone_by_the_next(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'crm.duckdb'}"
    engine = create_crm_engine(url)
    import_file(engine, DATA / "deals_en.csv", MAPPING)
    before, rows_before = counts(engine), all_history(engine)
    engine.dispose()
    changed = edited(tmp_path, "changed.csv", {"Proposal,Open": "Negotiation,Open"})
    died = subprocess.run(
        [sys.executable, "-c", _DIES_MIDWAY, url, str(changed), str(MAPPING_FILE)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert died.returncode == 3, died.stderr
    engine = create_crm_engine(url)
    pending = Base.metadata.tables["import_pending_history"]
    with engine.connect() as conn:  # the 8 deals' 15 history rows wait aside
        assert conn.execute(sa.select(sa.func.count()).select_from(pending)).scalar_one() == 15
    assert len(all_history(engine)) == 0
    again = import_file(engine, DATA / "deals_en.csv", MAPPING)
    assert again.notes == [
        "put back 15 stage-history rows that an earlier import, stopped midway, had moved aside"
    ]
    assert {n: (c.added, c.updated) for n, c in again.tables.items()}["deals"] == (0, 0)
    assert counts(engine) == before and all_history(engine) == rows_before
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(pending)).scalar_one() == 0
    engine.dispose()
