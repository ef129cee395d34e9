"""The mapping file (``crm_data.importer.mapping``): loading, the errors that name the key,
resolving headers, and proposals from English and Russian headers."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from crm_data.importer.mapping import (
    MappingError,
    StageSpec,
    load_mapping,
    parse_mapping,
    propose_mapping,
)
from crm_data.importer.sources import open_source

ROOT = Path(__file__).resolve().parents[1]
DEALS_SHEET = ROOT / "crm_data" / "mappings" / "deals_sheet.yaml"
DATA = ROOT / "tests" / "data" / "importer"

MINIMAL: dict[str, Any] = {
    "source": "sheet",
    "stages": [{"name": "New"}, {"name": "Won", "won": True, "probability": 1}],
    "columns": {
        "external_id": "ID",
        "account": "Company",
        "owner": "Owner",
        "stage": "Stage",
        "amount": "Amount",
        "created_at": "Created",
    },
    "constants": {"currency": "USD"},
}


def test_the_ready_mapping_loads() -> None:
    mapping = load_mapping(DEALS_SHEET)
    assert mapping.name == "deals_sheet"
    assert mapping.source == "spreadsheet"
    assert mapping.table == "deals"
    assert mapping.pipeline == "Sales"
    assert [s.name for s in mapping.stages] == [
        "New",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert mapping.stages[4] == StageSpec("Won", 5, 1.0, won=True)
    assert mapping.columns["amount"] == ("Amount", "Deal value", "Value", "Сумма", "Бюджет")
    assert mapping.values["stage"]["Успешно реализовано"] == "Won"
    assert mapping.decimal is None and mapping.encoding is None and mapping.delimiter is None


#: The columns of tests/data/importer/deals_ru.csv for each target of a deals sheet.
RUSSIAN_COLUMNS = {
    "external_id": "ID сделки",
    "title": "Название",
    "account": "Компания",
    "owner": "Ответственный",
    "team": "Отдел",
    "stage": "Стадия",
    "status": "Статус",
    "amount": "Сумма",
    "currency": "Валюта",
    "created_at": "Дата создания",
    "closed_at": "Дата закрытия",
    "product_line": "Направление",
    "lost_reason": "Причина отказа",
}


def test_the_first_header_present_wins() -> None:
    mapping = load_mapping(DEALS_SHEET)
    english = mapping.resolve(open_source(DATA / "deals_en.csv").headers)
    assert english["amount"] == "Amount"
    assert english["account"] == "Company"
    russian = mapping.resolve(open_source(DATA / "deals_ru.csv").headers)
    assert russian == RUSSIAN_COLUMNS


def test_a_file_without_a_required_column_is_refused_by_name() -> None:
    mapping = parse_mapping(MINIMAL, "m")
    with pytest.raises(MappingError) as caught:
        mapping.resolve(["ID", "Company", "Owner", "Stage", "Created"])
    assert str(caught.value) == (
        "mapping 'm': columns.amount: the file has none of the headers 'Amount' (it has 'ID', "
        "'Company', 'Owner', 'Stage', 'Created'); name the file's column under columns.amount "
        "or give constants.amount"
    )


def changed(path: str, value: Any) -> dict[str, Any]:
    """MINIMAL with the key at ``path`` (dots) set to ``value`` (removed when None)."""
    doc = copy.deepcopy(MINIMAL)
    *parents, last = path.split(".")
    here = doc
    for key in parents:
        here = here[key]
    if value is None:
        del here[last]
    else:
        here[last] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("table", "orders", "table: unknown table 'orders'; use one of deals"),
        ("colour", "red", "colour: unknown key; use one of name, source, table"),
        ("columns.amuont", "Amount", "columns.amuont: unknown key; use one of external_id"),
        ("constants.price", "1", "constants.price: unknown key; use one of external_id"),
        ("columns.amount", None, "columns.amount: missing: deals need amount; name the file"),
        ("dates", ["%d.%m.%Q"], "dates[0]: '%d.%m.%Q' is not a date format; write a strptime"),
        ("dates", ["dd.mm.yyyy"], "dates[0]: 'dd.mm.yyyy' is not a date format"),
        ("decimal", ";", "decimal: ';' is not a decimal separator"),
        ("file", {"delimiter": ":"}, "file.delimiter: not a delimiter; use , ; | \\t or auto"),
        ("file", {"encodnig": "cp1251"}, "file.encodnig: unknown key; use one of encoding"),
        ("source", None, "source: expected a text, got None"),
        ("stages", [], "stages: expected a list of stages"),
        ("stages", [{"name": "Won", "won": True}], "stages[0]: the first stage is terminal"),
        ("stages", [{"name": "A"}, {"name": "a"}], "stages: a stage name is repeated"),
        ("stages", [{"name": "A", "probability": 2}], "stages[0].probability: outside 0..1"),
        (
            "values",
            {"stage": {"Новая": "Fresh"}},
            "values.stage.Новая: 'Fresh' is not one of New, Won; map the word to one of them",
        ),
        (
            "values",
            {"status": {"Выиграна": "victory"}},
            "values.status.Выиграна: 'victory' is not one of open, won, lost",
        ),
        ("values", {"colour": {}}, "values.colour: unknown key"),
    ],
)
def test_errors_name_the_key(path: str, value: Any, message: str) -> None:
    with pytest.raises(MappingError) as caught:
        parse_mapping(changed(path, value), "m")
    assert str(caught.value).startswith(f"mapping 'm': {message}")


def test_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: [a, b\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"^the mapping file .*bad.yaml is not valid YAML"):
        load_mapping(bad)
    with pytest.raises(MappingError, match=r"^cannot read the mapping file .*missing.yaml"):
        load_mapping(tmp_path / "missing.yaml")
    top = tmp_path / "list.yaml"
    top.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"list.yaml: mapping 'list': \(top level\): expected a"):
        load_mapping(top)


def test_propose_from_english_headers() -> None:
    headers = list(open_source(DATA / "deals_en.csv").headers)
    assert propose_mapping(headers) == {
        "name": "proposed",
        "source": "spreadsheet",
        "table": "deals",
        "columns": {
            "external_id": "Deal ID",
            "title": "Title",
            "account": "Company",
            "owner": "Owner",
            "team": "Team",
            "stage": "Stage",
            "status": "Status",
            "amount": "Amount",
            "currency": "Currency",
            "created_at": "Created",
            "closed_at": "Closed",
            "expected_close_at": "Expected close",
            "product_line": "Product line",
            "source": "Source",
            "lost_reason": "Lost reason",
        },
    }


def test_propose_from_russian_headers() -> None:
    headers = list(open_source(DATA / "deals_ru.csv").headers)
    assert propose_mapping(headers, source="amocrm")["columns"] == RUSSIAN_COLUMNS


def test_propose_ignores_case_spacing_and_unknown_headers() -> None:
    proposed = propose_mapping(["DEAL_VALUE", "дата  создания", "Этап", "Notes", "company"])
    assert proposed["columns"] == {
        "account": "company",
        "stage": "Этап",
        "amount": "DEAL_VALUE",
        "created_at": "дата  создания",
    }
