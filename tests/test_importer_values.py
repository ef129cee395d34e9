"""Cell texts to values (``crm_data.importer.values``): numbers and dates as people write them;
a bad text is an ``Invalid`` (a problem), never an exception."""

from __future__ import annotations

from datetime import datetime

import pytest

from crm_data.importer.values import Invalid, format_label, map_value, parse_datetime, parse_number

NOT_A_NUMBER = Invalid("not a number", "write a number such as 1234.56 or 1 234,56")


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1234", None, 1234.0),
        ("1234.5", None, 1234.5),
        ("1 234,56", None, 1234.56),
        ("1\u00a0234,56", None, 1234.56),  # non-breaking space
        ("1\u202f234\u202f567,5", None, 1234567.5),  # narrow no-break spaces
        ("1,234.56", None, 1234.56),
        ("1.234,56", None, 1234.56),
        ("1,234,567", None, 1234567.0),
        ("2,500", None, 2500.0),  # one comma and three digits: thousands
        ("2,5", None, 2.5),  # one comma, not three digits: decimal
        ("2,500", ",", 2.5),  # the mapping says "," is the decimal separator
        ("1.234", ",", 1234.0),
        ("$1,200.50", None, 1200.5),
        ("1 200 ₽", None, 1200.0),
        ("1 200 руб.", None, 1200.0),
        ("USD 99.99", None, 99.99),
        ("-5", None, -5.0),
        ("(12)", None, -12.0),
        ("+7", None, 7.0),
        ("0", None, 0.0),
        ("1'000", None, 1000.0),
    ],
)
def test_numbers(text: str, decimal: str | None, expected: float) -> None:
    assert parse_number(text, decimal) == pytest.approx(expected, abs=0, rel=1e-15)


@pytest.mark.parametrize(
    "text", ["abc", "12 apples", "1.2.3,4,5", "1,2,3.4.5", "--5", "$", "()", "1e5", "½", "٣"]
)
def test_numbers_that_are_not(text: str) -> None:
    assert parse_number(text) == NOT_A_NUMBER


@pytest.mark.parametrize(
    ("text", "formats", "expected"),
    [
        ("31.12.2026", ["%d.%m.%Y"], datetime(2026, 12, 31)),
        ("2026-01-05", ["%d.%m.%Y", "%Y-%m-%d"], datetime(2026, 1, 5)),
        ("05.01.2026 14:30", ["%d.%m.%Y", "%d.%m.%Y %H:%M"], datetime(2026, 1, 5, 14, 30)),
        (" 2026-01-05 ", ["%Y-%m-%d"], datetime(2026, 1, 5)),
    ],
)
def test_dates(text: str, formats: list[str], expected: datetime) -> None:
    assert parse_datetime(text, formats) == expected


@pytest.mark.parametrize(
    ("text", "formats", "rule", "fix"),
    [
        (
            "2026-12-31",
            ["%d.%m.%Y"],
            "not a date in the format dd.mm.yyyy",
            "write the date like 31.12.2026",
        ),
        (
            "31.02.2026",
            ["%d.%m.%Y"],
            "not a date in the format dd.mm.yyyy",
            "write the date like 31.12.2026",
        ),
        (
            "soon",
            ["%Y-%m-%d", "%d.%m.%Y %H:%M"],
            "not a date in the format yyyy-mm-dd or dd.mm.yyyy HH:MM",
            "write the date like 2026-12-31",
        ),
    ],
)
def test_dates_that_are_not(text: str, formats: list[str], rule: str, fix: str) -> None:
    assert parse_datetime(text, formats) == Invalid(rule, fix)


def test_format_label() -> None:
    assert format_label("%d.%m.%Y %H:%M:%S") == "dd.mm.yyyy HH:MM:SS"


def test_value_maps() -> None:
    words = {"Выиграна": "won", "Closed lost": "lost"}
    allowed = ["open", "won", "lost"]
    assert map_value("выиграна", words, allowed) == "won"
    assert map_value(" CLOSED LOST ", words, allowed) == "lost"
    assert map_value("Open", words, allowed) == "open"  # a canonical value as it is
    assert map_value("maybe", words, allowed) == Invalid(
        "unknown value (expected one of: open, won, lost, Выиграна, Closed lost)",
        "use one of these words or add this one to the mapping's values",
    )
