"""analytics.periods: presets, labels, comparison periods, month shifting, elapsed days."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.periods import (
    COMPARISONS,
    PRESETS,
    Period,
    comparison_period,
    elapsed_days,
    next_period,
    period_label,
    resolve_period,
    shift_months,
)

D = date
NOV_25 = D(2026, 11, 25)
MAR_31 = D(2026, 3, 31)
LEAP_DAY = D(2028, 2, 29)
NEW_YEAR = D(2027, 1, 1)
YEAR_END = D(2026, 12, 31)

#: (preset, today) -> [start, end); "to date" presets end on today + 1.
EXPECTED_BOUNDS = {
    ("this_month", NOV_25): (D(2026, 11, 1), D(2026, 11, 26)),
    ("last_month", NOV_25): (D(2026, 10, 1), D(2026, 11, 1)),
    ("this_quarter", NOV_25): (D(2026, 10, 1), D(2026, 11, 26)),
    ("last_quarter", NOV_25): (D(2026, 7, 1), D(2026, 10, 1)),
    ("year_to_date", NOV_25): (D(2026, 1, 1), D(2026, 11, 26)),
    ("last_12_months", NOV_25): (D(2025, 12, 1), D(2026, 11, 26)),
    ("this_month", MAR_31): (D(2026, 3, 1), D(2026, 4, 1)),
    ("last_month", MAR_31): (D(2026, 2, 1), D(2026, 3, 1)),
    ("this_quarter", MAR_31): (D(2026, 1, 1), D(2026, 4, 1)),
    ("last_quarter", MAR_31): (D(2025, 10, 1), D(2026, 1, 1)),
    ("year_to_date", MAR_31): (D(2026, 1, 1), D(2026, 4, 1)),
    ("last_12_months", MAR_31): (D(2025, 4, 1), D(2026, 4, 1)),
    ("this_month", LEAP_DAY): (D(2028, 2, 1), D(2028, 3, 1)),
    ("last_month", LEAP_DAY): (D(2028, 1, 1), D(2028, 2, 1)),
    ("this_quarter", LEAP_DAY): (D(2028, 1, 1), D(2028, 3, 1)),
    ("last_quarter", LEAP_DAY): (D(2027, 10, 1), D(2028, 1, 1)),
    ("year_to_date", LEAP_DAY): (D(2028, 1, 1), D(2028, 3, 1)),
    ("last_12_months", LEAP_DAY): (D(2027, 3, 1), D(2028, 3, 1)),
    ("this_month", NEW_YEAR): (D(2027, 1, 1), D(2027, 1, 2)),
    ("last_month", NEW_YEAR): (D(2026, 12, 1), D(2027, 1, 1)),
    ("this_quarter", NEW_YEAR): (D(2027, 1, 1), D(2027, 1, 2)),
    ("last_quarter", NEW_YEAR): (D(2026, 10, 1), D(2027, 1, 1)),
    ("year_to_date", NEW_YEAR): (D(2027, 1, 1), D(2027, 1, 2)),
    ("last_12_months", NEW_YEAR): (D(2026, 2, 1), D(2027, 1, 2)),
    ("this_month", YEAR_END): (D(2026, 12, 1), D(2027, 1, 1)),
    ("last_month", YEAR_END): (D(2026, 11, 1), D(2026, 12, 1)),
    ("this_quarter", YEAR_END): (D(2026, 10, 1), D(2027, 1, 1)),
    ("last_quarter", YEAR_END): (D(2026, 7, 1), D(2026, 10, 1)),
    ("year_to_date", YEAR_END): (D(2026, 1, 1), D(2027, 1, 1)),
    ("last_12_months", YEAR_END): (D(2026, 1, 1), D(2027, 1, 1)),
}


@pytest.mark.parametrize(("preset", "today"), sorted(EXPECTED_BOUNDS))
def test_preset_bounds(preset: str, today: date) -> None:
    period = resolve_period(preset, today)
    assert (period.start, period.end) == EXPECTED_BOUNDS[preset, today]
    assert period.preset == preset


def test_presets_and_comparisons_in_menu_order() -> None:
    assert list(PRESETS) == [
        "this_month",
        "last_month",
        "this_quarter",
        "last_quarter",
        "year_to_date",
        "last_12_months",
        "custom",
    ]
    assert PRESETS["last_12_months"] == "Last 12 months"
    assert COMPARISONS == {"previous": "Previous period", "last_year": "Same period last year"}


@pytest.mark.parametrize(
    ("preset", "today", "label"),
    [
        ("this_month", NOV_25, "1 Nov – 25 Nov 2026"),
        ("last_12_months", NOV_25, "1 Dec 2025 – 25 Nov 2026"),
        ("last_month", LEAP_DAY, "1 Jan – 31 Jan 2028"),
        ("this_month", LEAP_DAY, "1 Feb – 29 Feb 2028"),
        ("last_quarter", NEW_YEAR, "1 Oct – 31 Dec 2026"),
        ("this_month", NEW_YEAR, "1 Jan 2027"),  # one day: a single date
        ("year_to_date", YEAR_END, "1 Jan – 31 Dec 2026"),
    ],
)
def test_labels(preset: str, today: date, label: str) -> None:
    assert resolve_period(preset, today).label == label


def test_period_label_of_a_range_across_years() -> None:
    assert period_label(D(2025, 12, 30), D(2026, 1, 3)) == "30 Dec 2025 – 2 Jan 2026"


def test_custom_range_includes_the_picked_end_day() -> None:
    period = resolve_period("custom", NOV_25, D(2026, 3, 10), D(2026, 3, 19))
    assert period == Period(D(2026, 3, 10), D(2026, 3, 20), "custom", "10 Mar – 19 Mar 2026")
    one_day = resolve_period("custom", NOV_25, LEAP_DAY, LEAP_DAY)
    assert (one_day.start, one_day.end, one_day.label) == (LEAP_DAY, D(2028, 3, 1), "29 Feb 2028")


def test_start_and_end_are_ignored_by_other_presets() -> None:
    period = resolve_period("this_month", NOV_25, D(2020, 1, 1), D(2020, 1, 5))
    assert (period.start, period.end) == (D(2026, 11, 1), D(2026, 11, 26))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (None, D(2026, 3, 1), "needs both a start and an end"),
        (D(2026, 3, 1), None, "needs both a start and an end"),
        (D(2026, 3, 2), D(2026, 3, 1), "ends \\(2026-03-01\\) before it starts \\(2026-03-02\\)"),
    ],
)
def test_invalid_custom_range(start: date | None, end: date | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_period("custom", NOV_25, start, end)


def test_unknown_preset_names_the_valid_keys() -> None:
    with pytest.raises(ValueError, match=r"'last_week'.*this_month, last_month.*custom"):
        resolve_period("last_week", NOV_25)


@pytest.mark.parametrize(
    ("preset", "today", "expected"),
    [
        # [1 Nov, 26 Nov) is 25 days: s0 = 1 Oct, 1 Oct + 25 days = 26 Oct
        ("this_month", NOV_25, (D(2026, 10, 1), D(2026, 10, 26))),
        # [1 Mar, 1 Apr) is 31 days: 1 Feb + 31 = 4 Mar, cut at the start 1 Mar -> all February
        ("this_month", MAR_31, (D(2026, 2, 1), D(2026, 3, 1))),
        # a full calendar month compares with the whole month before (31 days against 28)
        ("last_month", MAR_31, (D(2026, 1, 1), D(2026, 2, 1))),
        # [1 Jan, 1 Apr) is 31+28+31 = 90 days: 1 Oct + 90 = 1 Oct + 31 + 30 + 29 = 30 Dec
        ("this_quarter", MAR_31, (D(2025, 10, 1), D(2025, 12, 30))),
        # [1 Oct, 26 Nov) is 31+25 = 56 days: 1 Jul + 56 = 26 Aug
        ("this_quarter", NOV_25, (D(2026, 7, 1), D(2026, 8, 26))),
        # [1 Jul, 1 Oct) is 92 days: 1 Apr + 92 = 2 Jul, cut at 1 Jul -> the full 2nd quarter
        ("last_quarter", NOV_25, (D(2026, 4, 1), D(2026, 7, 1))),
        # [1 Jan 2028, 1 Mar 2028) is 31+29 = 60 days: 1 Jan 2027 + 60 = 1 Jan + 31 + 28 + 1
        ("year_to_date", LEAP_DAY, (D(2027, 1, 1), D(2027, 3, 2))),
        # [1 Jan 2026, 1 Jan 2027) is 365 days: 1 Jan 2025 + 365 = 1 Jan 2026
        ("year_to_date", YEAR_END, (D(2025, 1, 1), D(2026, 1, 1))),
        # [1 Dec 2025, 26 Nov 2026) is 335+25 = 360 days: 1 Dec 2024 + 360 = 26 Nov 2025
        ("last_12_months", NOV_25, (D(2024, 12, 1), D(2025, 11, 26))),
        # [1 Jan 2027, 2 Jan 2027): one day, the month before -> 1 Dec 2026
        ("this_month", NEW_YEAR, (D(2026, 12, 1), D(2026, 12, 2))),
    ],
)
def test_previous_period_of_presets(preset: str, today: date, expected: tuple[date, date]) -> None:
    assert comparison_period(resolve_period(preset, today)) == expected


def test_previous_period_of_a_custom_range_is_the_equal_length_one_before() -> None:
    period = resolve_period("custom", NOV_25, D(2026, 3, 10), D(2026, 3, 19))
    # [10 Mar, 20 Mar) is 10 days -> [10 Mar - 10 days, 10 Mar) = [28 Feb, 10 Mar)
    assert comparison_period(period, "previous") == (D(2026, 2, 28), D(2026, 3, 10))


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (resolve_period("this_month", LEAP_DAY), (D(2027, 2, 1), D(2027, 3, 1))),
        (resolve_period("year_to_date", YEAR_END), (D(2025, 1, 1), D(2026, 1, 1))),
        # 29 Feb 2028 - 12 months is clamped to 28 Feb 2027; the end 1 Mar 2028 -> 1 Mar 2027
        (resolve_period("custom", NOV_25, LEAP_DAY, LEAP_DAY), (D(2027, 2, 28), D(2027, 3, 1))),
    ],
)
def test_same_period_last_year(period: Period, expected: tuple[date, date]) -> None:
    assert comparison_period(period, "last_year") == expected


def test_unknown_comparison_names_the_valid_modes() -> None:
    with pytest.raises(ValueError, match=r"'last_week'.*previous, last_year"):
        comparison_period(resolve_period("this_month", NOV_25), "last_week")


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2028, 3, 31), -1, D(2028, 2, 29)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 5, 31), -25, D(2024, 4, 30)),
        (D(2026, 1, 15), -1, D(2025, 12, 15)),
        (D(2026, 12, 31), 0, D(2026, 12, 31)),
        (LEAP_DAY, 12, D(2029, 2, 28)),
        (LEAP_DAY, -48, D(2024, 2, 29)),
    ],
)
def test_shift_months_clamps_the_day(d: date, months: int, expected: date) -> None:
    assert shift_months(d, months) == expected


def test_elapsed_days() -> None:
    since = pd.Series(
        pd.to_datetime(["2026-01-01 12:00", None, "2026-01-04 06:00"]), dtype="datetime64[us]"
    )
    days = elapsed_days(since, datetime(2026, 1, 3))
    # 1 Jan 12:00 -> 3 Jan 00:00 = 1.5 days; NaT -> NaN; 4 Jan 06:00 is 1.25 days later
    assert days.iloc[0] == 1.5
    assert math.isnan(days.iloc[1])
    assert days.iloc[2] == -1.25


# --- properties ---------------------------------------------------------------------------

days_st = st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31))
presets_st = st.sampled_from([key for key in PRESETS if key != "custom"])


def _custom_period(start: date, length: int) -> Period:
    return resolve_period("custom", start, start, date.fromordinal(start.toordinal() + length))


periods_st = st.one_of(
    st.builds(resolve_period, presets_st, days_st),
    st.builds(_custom_period, days_st, st.integers(0, 800)),
)


@given(periods_st)
def test_previous_period_never_overlaps_and_is_never_longer(period: Period) -> None:
    start, end = comparison_period(period, "previous")
    assert start < end <= period.start
    if period.preset in ("last_month", "last_quarter"):  # the whole calendar period before
        assert end == period.start and resolve_period(period.preset, end).start == start
    else:
        assert end - start <= period.end - period.start


@given(presets_st, days_st)
def test_to_date_presets_contain_today_and_full_ones_end_before(preset: str, today: date) -> None:
    period = resolve_period(preset, today)
    if preset in ("last_month", "last_quarter"):
        assert period.end <= today < shift_months(period.end, 3)
    else:
        assert period.start <= today < period.end


@given(days_st)
def test_shift_months_there_and_back(d: date) -> None:
    back = shift_months(shift_months(d, 12), -12)
    assert back == (D(d.year, 2, 28) if (d.month, d.day) == (2, 29) else d)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # a month goes to the next month, whatever its length
        (date(2025, 1, 1), date(2025, 2, 1), (date(2025, 2, 1), date(2025, 3, 1))),
        (date(2025, 2, 1), date(2025, 3, 1), (date(2025, 3, 1), date(2025, 4, 1))),
        (date(2025, 12, 1), date(2026, 1, 1), (date(2026, 1, 1), date(2026, 2, 1))),
        # a calendar quarter goes to the next calendar quarter, also across the year
        (date(2025, 1, 1), date(2025, 4, 1), (date(2025, 4, 1), date(2025, 7, 1))),
        (date(2025, 10, 1), date(2026, 1, 1), (date(2026, 1, 1), date(2026, 4, 1))),
        # half-year, year, and whole months not starting on the 1st
        (date(2025, 7, 1), date(2026, 1, 1), (date(2026, 1, 1), date(2026, 7, 1))),
        (date(2024, 1, 1), date(2025, 1, 1), (date(2025, 1, 1), date(2026, 1, 1))),
        (date(2024, 11, 15), date(2025, 2, 15), (date(2025, 2, 15), date(2025, 5, 15))),
        # anything else moves by its length in days
        (date(2025, 1, 6), date(2025, 1, 13), (date(2025, 1, 13), date(2025, 1, 20))),
        (date(2025, 1, 31), date(2025, 2, 28), (date(2025, 2, 28), date(2025, 3, 28))),
        (date(2025, 1, 1), date(2025, 1, 16), (date(2025, 1, 16), date(2025, 1, 31))),
    ],
)
def test_next_period(start: date, end: date, expected: tuple[date, date]) -> None:
    assert next_period(start, end) == expected
