"""The URL form of the global filters: parsing with validation, serialising, Filters."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_data.filters import Filters
from ui.url_filters import Choices, Selection, build_filters, parse_query, to_query

CHOICES = Choices(
    teams={1, 2}, reps={11, 12, 21}, regions={"North", "South"},
    product_lines={"Hardware", "Software"}, pipelines={"Sales", "Renewals"},
)  # fmt: skip


def test_empty_query_is_the_default_selection() -> None:
    assert parse_query({}, CHOICES) == (Selection(), [])
    assert to_query(Selection()) == {}


def test_a_full_query_round_trips() -> None:
    query = {
        "period": ["custom"], "from": ["2026-01-01"], "to": ["2026-03-31"],
        "compare": ["last_year"], "team": ["2"], "rep": ["21", "11"],
        "region": ["South"], "line": ["Software", "Hardware"], "pipeline": ["Renewals"],
    }  # fmt: skip
    selection, notices = parse_query(query, CHOICES)
    assert notices == []
    assert selection == Selection(
        "custom", date(2026, 1, 1), date(2026, 3, 31), "last_year", (2,), (11, 21), ("South",),
        ("Hardware", "Software"), "Renewals",
    )  # fmt: skip
    assert to_query(selection) == {**query, "rep": ["11", "21"], "line": ["Hardware", "Software"]}
    assert parse_query(to_query(selection), CHOICES) == (selection, [])


def test_foreign_and_malformed_values_are_dropped_with_notices() -> None:
    query = {
        "rep": ["12", "999", "1 OR 1=1"], "team": ["3"],
        "region": ["North'; DROP TABLE deals;--"],
        "period": ["forever"], "compare": ["yesterday"], "pipeline": ["Secret"], "line": ["x"],
    }  # fmt: skip
    selection, notices = parse_query(query, CHOICES)
    assert selection == Selection(reps=(12,))
    assert notices == [
        "period='forever' is not a known period",
        "compare='yesterday' is not a known comparison",
        "pipeline='Secret' is not a known pipeline",
        "team=3 is not a team you can see",
        "rep=999 is not a rep you can see",
        "rep='1 OR 1=1' is not a number",
        'region="North\'; DROP TABLE deals;--" is not a known region',
        "line='x' is not a known product line",
    ]


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ({"period": "custom", "from": "2026-13-01", "to": "2026-01-31"},
         "from='2026-13-01' is not a date (use YYYY-MM-DD)"),
        ({"period": "custom", "from": "2026-02-01", "to": "2026-01-31"},
         "to=2026-01-31 is before from=2026-02-01; showing the default period"),
        ({"period": "custom", "from": "0001-01-01", "to": "2026-01-31"},
         "from=0001-01-01 is out of range"),
        ({"period": "custom"},
         "a custom period needs valid from and to dates; showing the default"),
    ],
)  # fmt: skip
def test_bad_custom_ranges_fall_back_to_the_default(query: dict[str, str], notice: str) -> None:
    selection, notices = parse_query(query, CHOICES)
    assert selection.preset == "last_12_months"
    assert notice in notices


def test_single_strings_and_blank_values() -> None:
    selection, notices = parse_query({"rep": "11", "region": ["", " North "]}, CHOICES)
    assert (selection.reps, selection.regions, notices) == ((11,), ("North",), [])


def test_build_filters_for_a_preset_and_a_custom_range() -> None:
    filters, period = build_filters(Selection(reps=(11,)), date(2026, 6, 29))
    # last 12 months to date: 1 Jul 2025 .. 29 Jun 2026 inclusive; previous: 12 months before
    assert (filters.start, filters.end) == (date(2025, 7, 1), date(2026, 6, 30))
    assert filters.compare_period() == (date(2024, 7, 1), date(2025, 6, 30))
    assert filters.reps == (11,) and filters.as_of_ts.date() == date(2026, 6, 30)
    assert period.preset == "last_12_months"
    custom = Selection("custom", date(2026, 1, 1), date(2026, 1, 31), compare="last_year")
    filters, _ = build_filters(custom, date(2026, 6, 29))
    assert filters == Filters(
        date(2026, 1, 1), date(2026, 2, 1), compare_start=date(2025, 1, 1),
        compare_end=date(2025, 2, 1),
    )  # fmt: skip


@given(
    reps=st.lists(st.sampled_from(["11", "12", "21", "13", "x", "-1", "1e3"]), max_size=6),
    regions=st.lists(st.text(max_size=12), max_size=4),
)
def test_parsed_values_are_always_within_the_choices(reps: list[str], regions: list[str]) -> None:
    selection, _ = parse_query({"rep": reps, "region": regions}, CHOICES)
    assert set(selection.reps) <= set(CHOICES.reps)
    assert set(selection.regions) <= set(CHOICES.regions)
    assert parse_query(to_query(selection), CHOICES) == (selection, [])
