"""The Maven "CRM + Sales + Opportunities" loader: mapping, validation and reference numbers.

A hand-written mini copy of the files checks the mapping and the error messages (always runs);
the real dataset (``../shared/datasets/maven_crm_sales_opportunities``) is loaded into DuckDB
and SQLite and checked with plain SQL against the reference numbers of its README (skipped
when the folder is absent).
"""

from __future__ import annotations

import doctest
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import crm_data.maven
from crm_data.filters import Filters, Scope
from crm_data.maven import NO_ACCOUNT, PIPELINE, load_maven, maven_tables, read_maven
from crm_data.queries import deals_closed, stage_high_water_marks
from tests.support.databases import fresh_engine
from tests.support.datasets import MAVEN, needs_maven

# ---- a mini copy of the files ---------------------------------------------------------------

MINI = {
    "sales_teams.csv": """sales_agent,manager,regional_office
Ann Alpha,Mia Boss,East
Bob Beta,Mia Boss,East
Cy Gamma,Ned Chief,Central
""",
    "products.csv": """product,series,sales_price
GTX Pro,GTX,4821
MG Special,MG,55
""",
    "accounts.csv": "account,sector,year_established,revenue,employees,office_location,"
    """subsidiary_of
Acme,technolgy,1996,1100.04,2822,United States,
Tiny,retail,2017,4.54,9,Kenya,Acme
""",
    "sales_pipeline.csv": "opportunity_id,sales_agent,product,account,deal_stage,engage_date,"
    """close_date,close_value
W1,Ann Alpha,GTXPro,Acme,Won,2017-01-10,2017-03-01,4500
L1,Bob Beta,MG Special,Tiny,Lost,2017-02-01,2017-02-20,0
E1,Cy Gamma,GTXPro,,Engaging,2017-05-05,,
P1,Ann Alpha,MG Special,,Prospecting,,,
""",
}


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    folder = tmp_path / "maven"
    folder.mkdir()
    for name, text in MINI.items():
        (folder / name).write_text(text.replace("\n", "\r\n"), newline="")
    return folder


def rewrite(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    path.write_text(path.read_text().replace(old, new))


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day)


def test_mini_people_accounts_products(mini: Path) -> None:
    t = maven_tables(read_maven(mini))
    assert t["teams"].to_dict("list") == {
        "id": [1, 2],
        "name": ["Central (Ned Chief)", "East (Mia Boss)"],
        "region": ["Central", "East"],
        "head_id": [1, 2],
    }
    emp = t["employees"]
    assert emp["name"].tolist() == ["Ned Chief", "Mia Boss", "Ann Alpha", "Bob Beta", "Cy Gamma"]
    assert emp["role"].tolist() == ["head", "head", "rep", "rep", "rep"]
    assert emp["team_id"].tolist() == [1, 2, 2, 2, 1]
    assert emp["email"].iloc[2] == "ann.alpha@maventech.example"
    assert emp["email"].is_unique
    acc = t["accounts"]
    assert acc["name"].tolist() == ["Acme", "Tiny", NO_ACCOUNT]
    assert acc["industry"].tolist()[:2] == ["technology", "retail"]
    assert acc["region"].tolist()[:2] == ["United States", "Kenya"]
    assert acc["size_band"].tolist()[:2] == ["1000+", "1-10"]
    assert acc.loc[2, ["industry", "region", "size_band"]].isna().all()
    assert t["products"][["name", "product_line", "price"]].to_dict("list") == {
        "name": ["GTX Pro", "MG Special"],
        "product_line": ["GTX", "MG"],
        "price": [4821.0, 55.0],
    }
    stages = t["stages"]
    assert stages["name"].tolist() == ["Prospecting", "Engaging", "Won", "Lost"]
    assert stages["pipeline"].eq(PIPELINE).all()
    assert stages["probability"].tolist() == [0.1, 0.5, 1.0, 0.0]
    assert stages["rot_days"].isna().all()
    assert t["lost_reasons"].empty


def test_mini_deals_and_history(mini: Path) -> None:
    t = maven_tables(read_maven(mini))
    d = t["deals"].set_index("title")
    assert d["status"].to_dict() == {"W1": "won", "L1": "lost", "E1": "open", "P1": "open"}
    assert d["stage_id"].to_dict() == {"W1": 3, "L1": 4, "E1": 2, "P1": 1}
    # won: close_value; lost (close_value 0) and open (none): the product's list price
    assert d["amount"].to_dict() == {"W1": 4500.0, "L1": 55.0, "E1": 4821.0, "P1": 55.0}
    assert d["product_line"].to_dict() == {"W1": "GTX", "L1": "MG", "E1": "GTX", "P1": "MG"}
    assert d["account_id"].to_dict() == {"W1": 1, "L1": 2, "E1": 3, "P1": 3}
    assert d["owner_id"].to_dict() == {"W1": 3, "L1": 4, "E1": 5, "P1": 3}
    # Prospecting without engage_date: created at the last engage_date of the file
    assert d["created_at"].to_dict() == {
        "W1": ts("2017-01-10"),
        "L1": ts("2017-02-01"),
        "E1": ts("2017-05-05"),
        "P1": ts("2017-05-05"),
    }
    assert d.loc["W1", "closed_at"] == ts("2017-03-01")
    assert d.loc["L1", "closed_at"] == ts("2017-02-20")
    assert d.loc[["E1", "P1"], "closed_at"].isna().all()
    assert d["currency"].eq("USD").all()
    h = t["deal_stage_history"]
    assert h["id"].tolist() == [1, 2, 3, 4, 5, 6]
    rows = list(
        zip(h["deal_id"], h["stage_id"], h["entered_at"], h["amount"], h["changed_by"], strict=True)
    )
    assert rows == [
        (1, 2, ts("2017-01-10"), 4821.0, 3),
        (1, 3, ts("2017-03-01"), 4500.0, 3),
        (2, 2, ts("2017-02-01"), 55.0, 4),
        (2, 4, ts("2017-02-20"), 55.0, 4),
        (3, 2, ts("2017-05-05"), 4821.0, 5),
        (4, 1, ts("2017-05-05"), 55.0, 3),
    ]


def test_mini_loads_into_sqlite(mini: Path, tmp_path: Path) -> None:
    with fresh_engine("sqlite", tmp_path) as engine:
        counts = load_maven(engine, mini)
        assert counts == {
            "teams": 2,
            "employees": 5,
            "accounts": 3,
            "products": 2,
            "stages": 4,
            "lost_reasons": 0,
            "deals": 4,
            "deal_stage_history": 6,
        }
        with engine.connect() as conn:
            got = conn.execute(sa.text("SELECT title, amount FROM deals ORDER BY id")).all()
        assert got == [("W1", 4500.0), ("L1", 55.0), ("E1", 4821.0), ("P1", 55.0)]
        # a second load is refused: the database is not empty any more
        with pytest.raises(ValueError, match=r"table teams has rows.*empty database"):
            load_maven(engine, mini)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"folder .*nowhere not found"):
        read_maven(tmp_path / "nowhere")


def test_missing_file(mini: Path) -> None:
    (mini / "products.csv").unlink()
    with pytest.raises(ValueError, match=r"products\.csv: file not found in .*CRM\+Sales"):
        read_maven(mini)


def test_missing_column_names_file_and_column(mini: Path) -> None:
    rewrite(mini, "sales_pipeline.csv", "close_value", "closing_value")
    with pytest.raises(ValueError) as info:
        read_maven(mini)
    message = str(info.value)
    assert "sales_pipeline.csv" in message
    assert "'close_value'" in message
    assert "closing_value" in message  # what the header has instead
    assert "unchanged" in message  # what to do


def test_missing_column_on_load_writes_nothing(mini: Path, tmp_path: Path) -> None:
    rewrite(mini, "accounts.csv", "office_location", "office")
    with fresh_engine("sqlite", tmp_path) as engine:
        with pytest.raises(ValueError, match=r"accounts\.csv, column 'office_location'"):
            load_maven(engine, mini)
        assert not sa.inspect(engine).get_table_names()


@pytest.mark.parametrize(
    ("file", "old", "new", "match"),
    [
        ("sales_pipeline.csv", "MG Special,Tiny", "MG Mega,Tiny", r"column 'product'.*'MG Mega'"),
        ("sales_pipeline.csv", "Bob Beta,MG", "Bo Beta,MG", r"column 'sales_agent'.*'Bo Beta'"),
        ("sales_pipeline.csv", "Acme,Won", "Acne,Won", r"column 'account'.*'Acne'"),
        ("sales_pipeline.csv", "Tiny,Lost", "Tiny,Closed", r"column 'deal_stage'.*'Closed'"),
        ("sales_pipeline.csv", "2017-01-10", "1/10/2017", r"'engage_date'.*ISO.*'1/10/2017'"),
        ("sales_pipeline.csv", "2017-02-20,0", ",0", r"'close_date'.*Won/Lost"),
        ("sales_pipeline.csv", "4500", "", r"'close_value'.*Won deals are empty"),
        ("sales_pipeline.csv", "L1,", "W1,", r"'opportunity_id'.*duplicates.*'W1'"),
        ("accounts.csv", "2822", "many", r"accounts\.csv, column 'employees'.*not numbers"),
    ],
)
def test_bad_values_are_named(mini: Path, file: str, old: str, new: str, match: str) -> None:
    rewrite(mini, file, old, new)
    with pytest.raises(ValueError, match=match):
        maven_tables(read_maven(mini))


def test_docstring_examples() -> None:
    result = doctest.testmod(crm_data.maven, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# ---- the real dataset -----------------------------------------------------------------------

CYCLE_DAYS = {
    "duckdb": "date_diff('day', created_at, closed_at)",
    "sqlite": "julianday(closed_at) - julianday(created_at)",
}


@pytest.fixture(scope="module", params=("duckdb", "sqlite"))
def maven(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sa.Engine, dict[str, int]]]:
    if not (MAVEN / "sales_pipeline.csv").is_file():
        pytest.skip(f"Maven dataset not found at {MAVEN}")
    folder = tmp_path_factory.mktemp(f"maven_{request.param}")
    with fresh_engine(request.param, folder) as engine:
        yield engine, load_maven(engine, MAVEN)


def one(engine: sa.Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def rows(engine: sa.Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


@needs_maven
def test_row_counts(maven: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, counts = maven
    # history: 500 Prospecting + 1,589 Engaging rows, 2 rows for each of the 6,711 closed deals
    assert counts == {
        "teams": 6,
        "employees": 41,
        "accounts": 86,
        "products": 7,
        "stages": 4,
        "lost_reasons": 0,
        "deals": 8800,
        "deal_stage_history": 500 + 1589 + 2 * 6711,
    }
    assert one(engine, "SELECT COUNT(*) FROM deals") == 8800
    assert one(engine, "SELECT COUNT(*) FROM deal_stage_history") == 15511


@needs_maven
def test_status_counts_and_won_revenue(maven: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, _ = maven
    got = rows(engine, "SELECT status, COUNT(*) FROM deals GROUP BY status ORDER BY status")
    assert got == [("lost", 2473), ("open", 2089), ("won", 4238)]
    stage = rows(
        engine,
        "SELECT s.name, COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id "
        "GROUP BY s.name ORDER BY s.name",
    )
    assert stage == [("Engaging", 1589), ("Lost", 2473), ("Prospecting", 500), ("Won", 4238)]
    assert one(engine, "SELECT SUM(amount) FROM deals WHERE status = 'won'") == 10_005_534
    mean = one(engine, "SELECT AVG(amount) FROM deals WHERE status = 'won'")
    assert round(float(mean), 2) == 2360.91  # type: ignore[arg-type]
    won, closed = rows(
        engine,
        "SELECT SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), COUNT(*) FROM deals "
        "WHERE status IN ('won', 'lost')",
    )[0]
    assert (won, closed) == (4238, 6711)
    assert round(4238 / 6711, 4) == 0.6315


@needs_maven
def test_mean_won_cycle(maven: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, _ = maven
    cycle = CYCLE_DAYS[engine.dialect.name]
    mean = one(engine, f"SELECT AVG({cycle}) FROM deals WHERE status = 'won'")
    assert round(float(mean), 2) == 51.78  # type: ignore[arg-type]
    lost = one(engine, f"SELECT AVG({cycle}) FROM deals WHERE status = 'lost'")
    assert round(float(lost), 2) == 41.48  # type: ignore[arg-type]


@needs_maven
def test_won_revenue_by_regional_office(maven: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, _ = maven
    got = rows(
        engine,
        "SELECT t.region, SUM(d.amount) FROM deals d "
        "JOIN employees e ON e.id = d.owner_id JOIN teams t ON t.id = e.team_id "
        "WHERE d.status = 'won' GROUP BY t.region ORDER BY t.region",
    )
    assert got == [("Central", 3_346_293), ("East", 3_090_594), ("West", 3_568_647)]
    top_manager = rows(
        engine,
        "SELECT h.name, SUM(d.amount) AS won FROM deals d "
        "JOIN employees e ON e.id = d.owner_id JOIN teams t ON t.id = e.team_id "
        "JOIN employees h ON h.id = t.head_id WHERE d.status = 'won' "
        "GROUP BY h.name ORDER BY won DESC LIMIT 1",
    )
    assert top_manager == [("Melvin Marxen", 2_251_930)]


@needs_maven
def test_quirks(maven: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, _ = maven
    # GTXPro and GTX Pro are one product: every deal has a product line
    assert one(engine, "SELECT COUNT(*) FROM deals WHERE product_line IS NULL") == 0
    assert one(engine, "SELECT COUNT(*) FROM accounts WHERE industry = 'technolgy'") == 0
    assert one(engine, "SELECT COUNT(*) FROM accounts WHERE industry = 'technology'") == 12
    no_account = rows(
        engine,
        "SELECT d.status, COUNT(*) FROM deals d JOIN accounts a ON a.id = d.account_id "
        f"WHERE a.name = '{NO_ACCOUNT}' GROUP BY d.status",
    )
    assert no_account == [("open", 1425)]
    # Prospecting deals are created at the last engage_date of the file
    prospecting = rows(
        engine,
        "SELECT MIN(created_at), MAX(created_at), COUNT(*) FROM deals WHERE stage_id = 1",
    )[0]
    assert {pd.Timestamp(prospecting[0]), pd.Timestamp(prospecting[1])} == {
        pd.Timestamp("2017-12-27")
    }
    assert prospecting[2] == 500
    assert (
        one(engine, "SELECT COUNT(*) FROM deals WHERE status = 'open' AND closed_at IS NOT NULL")
        == 0
    )
    assert one(engine, "SELECT COUNT(*) FROM deals WHERE amount <= 0") == 0
    # lost deals are valued at the list price, so the value win rate is not 1
    lost = one(engine, "SELECT SUM(amount) FROM deals WHERE status = 'lost'")
    assert float(lost) > 0  # type: ignore[arg-type]


@needs_maven
def test_query_layer(maven: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, _ = maven
    everyone = Scope.everyone()
    closed = deals_closed(engine, Filters(date(2017, 1, 1), date(2018, 1, 1)), everyone)
    assert len(closed) == 6711
    assert closed["status"].value_counts().to_dict() == {"won": 4238, "lost": 2473}
    won = closed[closed["status"] == "won"]
    assert won["amount"].sum() == 10_005_534
    assert round(won["cycle_days"].mean(), 2) == 51.78
    assert closed["closed_at"].min() == datetime(2017, 3, 1)
    # every deal was created in [2016-10-20, 2017-12-28): the whole file is one cohort
    marks = stage_high_water_marks(engine, Filters(date(2016, 10, 1), date(2018, 1, 1)), everyone)
    assert len(marks) == 8800
    assert marks["max_open_position"].value_counts().to_dict() == {2: 8300, 1: 500}
    assert marks["status"].value_counts().to_dict() == {"won": 4238, "lost": 2473, "open": 2089}
    assert not marks["regressed"].any()


def test_copy_of_real_files_with_missing_column(tmp_path: Path) -> None:
    if not MAVEN.is_dir():
        pytest.skip(f"Maven dataset not found at {MAVEN}")
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in MAVEN.glob("*.csv"):  # copyfile: the originals are read-only
        shutil.copyfile(path, folder / path.name)
    frame = pd.read_csv(folder / "sales_pipeline.csv").drop(columns="deal_stage")
    frame.to_csv(folder / "sales_pipeline.csv", index=False)
    with pytest.raises(ValueError, match=r"sales_pipeline\.csv, column 'deal_stage'"):
        load_maven(sa.create_engine("sqlite://"), folder)
