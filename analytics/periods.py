"""Period presets of the filter bar, comparison periods and elapsed-time helpers.

A period is half-open ``[start, end)`` (METRICS.md "Conventions"); "to date" presets include
the reference day ``today``, so their exclusive end is ``today + 1 day``.  Nothing here reads the
clock: the caller passes ``today``.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from babel.dates import format_date

from i18n import N_
from i18n.formatting import babel_locale

__all__ = [
    "COMPARISONS",
    "PRESETS",
    "Period",
    "comparison_period",
    "elapsed_days",
    "next_period",
    "period_label",
    "quarter_start",
    "resolve_period",
    "shift_months",
    "working_days",
]

#: Preset key -> menu label (marked for translation: show it with ``_()``), in menu order.
PRESETS: dict[str, str] = {
    "this_month": N_("This month"),
    "last_month": N_("Last month"),
    "this_quarter": N_("This quarter"),
    "last_quarter": N_("Last quarter"),
    "year_to_date": N_("Year to date"),
    "last_12_months": N_("Last 12 months"),
    "custom": N_("Custom range"),
}

#: Comparison mode -> menu label (marked for translation: show it with ``_()``).
COMPARISONS: dict[str, str] = {
    "previous": N_("Previous period"),
    "last_year": N_("Same period last year"),
}

#: The natural step of each preset (months), used by the "previous" comparison.
#: Presets that cover whole calendar periods (compared with the whole period before).
_FULL_PERIODS = frozenset({"last_month", "last_quarter"})

_STEP_MONTHS: dict[str, int] = {
    "this_month": 1,
    "last_month": 1,
    "this_quarter": 3,
    "last_quarter": 3,
    "year_to_date": 12,
    "last_12_months": 12,
}

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A resolved period ``[start, end)``.

    Attributes
    ----------
    start : date
        First day, included.
    end : date
        Day after the last day (excluded).
    preset : str
        The key of :data:`PRESETS` it was resolved from.
    label : str
        The inclusive range as text, e.g. ``"1 Nov – 25 Nov 2026"``.
    """

    start: date
    end: date
    preset: str
    label: str


def shift_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months, the day clamped to the target month's length.

    Examples
    --------
    >>> shift_months(date(2026, 3, 31), -1)
    datetime.date(2026, 2, 28)
    >>> shift_months(date(2026, 11, 15), 3)
    datetime.date(2027, 2, 15)
    """
    years, month0 = divmod(d.month - 1 + months, 12)
    year = d.year + years
    month = month0 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def next_period(start: date, end: date, steps: int = 1) -> tuple[date, date]:
    """The period after ``[start, end)``, of the same length (where an incentive plan is copied);
    ``steps`` periods on (negative: back, the earlier periods a plan's history looks at).

    A period of whole calendar months (``start`` and ``end`` on the same day of the month, at
    most the 28th) moves by that many months, so a month goes to the next month and a calendar
    quarter to the next calendar quarter; any other period moves by its length in days.

    Examples
    --------
    >>> next_period(date(2025, 1, 1), date(2025, 2, 1))
    (datetime.date(2025, 2, 1), datetime.date(2025, 3, 1))
    >>> next_period(date(2025, 10, 1), date(2026, 1, 1))
    (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))
    >>> next_period(date(2025, 1, 6), date(2025, 1, 20))
    (datetime.date(2025, 1, 20), datetime.date(2025, 2, 3))
    >>> next_period(date(2026, 10, 1), date(2027, 1, 1), steps=-2)  # not 184 days back
    (datetime.date(2026, 4, 1), datetime.date(2026, 7, 1))
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    if start.day == end.day and start.day <= 28 and months > 0:
        return shift_months(start, steps * months), shift_months(end, steps * months)
    return start + steps * (end - start), end + steps * (end - start)


def _day_text(d: date, with_year: bool) -> str:
    return format_date(d, "d MMM y" if with_year else "d MMM", locale=babel_locale())


def period_label(start: date, end: date) -> str:
    """Human text of the inclusive range of ``[start, end)``, in the language in force.

    The year is written once when both ends share it; a one-day period is a single date.
    Russian abbreviates the months as CLDR does: ``1 нояб. – 25 нояб. 2026``.

    Examples
    --------
    >>> period_label(date(2026, 11, 1), date(2026, 11, 26))
    '1 Nov – 25 Nov 2026'
    >>> period_label(date(2025, 10, 1), date(2026, 11, 26))
    '1 Oct 2025 – 25 Nov 2026'
    >>> period_label(date(2026, 11, 1), date(2026, 11, 2))
    '1 Nov 2026'
    """
    last = end - _ONE_DAY
    if last == start:
        return _day_text(start, with_year=True)
    return f"{_day_text(start, start.year != last.year)} – {_day_text(last, with_year=True)}"


def quarter_start(d: date) -> date:
    """The first day of the calendar quarter holding ``d``.

    Examples
    --------
    >>> quarter_start(date(2026, 11, 25))
    datetime.date(2026, 10, 1)
    """
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _preset_bounds(preset: str, today: date) -> tuple[date, date]:
    """``[start, end)`` of a non-custom preset for the reference day ``today``."""
    to_date = today + _ONE_DAY
    month_start = today.replace(day=1)
    quarter = quarter_start(today)
    bounds = {
        "this_month": (month_start, to_date),
        "last_month": (shift_months(month_start, -1), month_start),
        "this_quarter": (quarter, to_date),
        "last_quarter": (shift_months(quarter, -3), quarter),
        "year_to_date": (date(today.year, 1, 1), to_date),
        "last_12_months": (shift_months(month_start, -11), to_date),
    }
    return bounds[preset]


def _custom_bounds(start: date | None, end: date | None) -> tuple[date, date]:
    """``[start, end + 1 day)`` of a custom range picked with inclusive dates."""
    if start is None or end is None:
        raise ValueError("A custom range needs both a start and an end date.")
    if end < start:
        raise ValueError(f"The custom range ends ({end}) before it starts ({start}).")
    return start, end + _ONE_DAY


def resolve_period(
    preset: str, today: date, start: date | None = None, end: date | None = None
) -> Period:
    """The period ``[start, end)`` a preset stands for on the reference day ``today``.

    ``this_month``, ``this_quarter``, ``year_to_date`` run from the first day of the month,
    quarter or year to ``today`` included; ``last_month`` and ``last_quarter`` are the full
    previous calendar month or quarter; ``last_12_months`` is the current month to date plus the
    11 full months before it.

    Parameters
    ----------
    preset : str
        A key of :data:`PRESETS`.
    today : date
        The reference day (included in the "to date" presets).
    start, end : date, optional
        Only for ``"custom"``: the first and last day the user picked, both included
        (``Period.end`` is ``end + 1 day``).  Ignored by the other presets.

    Returns
    -------
    Period

    Raises
    ------
    ValueError
        For an unknown preset, or a custom range with a missing date or ``end < start``.
    """
    if preset == "custom":
        bounds = _custom_bounds(start, end)
    elif preset in _STEP_MONTHS:
        bounds = _preset_bounds(preset, today)
    else:
        raise ValueError(f"Unknown period preset {preset!r}; valid: {', '.join(PRESETS)}.")
    return Period(bounds[0], bounds[1], preset, period_label(*bounds))


def comparison_period(period: Period, mode: str = "previous") -> tuple[date, date]:
    """The comparison period ``[start, end)`` of ``period`` (METRICS.md "Conventions").

    ``"previous"``: for a full calendar period (``last_month``, ``last_quarter``) the whole
    calendar period before it.  For a "to date" preset the start moves back by the preset's
    natural step (1 month for month presets, 3 for quarter presets, 12 for ``year_to_date`` and
    ``last_12_months``) and the period keeps the same number of days, cut at the current start:
    ``[s0, min(s0 + (end - start), start))`` with ``s0 = shift_months(start, -step)``.  So
    "this month to the 25th" compares with the previous month to the 25th, and "last month"
    (February) with the whole of January.  For a custom range it is the equal-length period
    right before: ``[start - (end - start), start)``.

    ``"last_year"``: both dates moved back 12 months with :func:`shift_months`.

    Raises
    ------
    ValueError
        For a mode that is not a key of :data:`COMPARISONS`.
    """
    if mode == "last_year":
        return shift_months(period.start, -12), shift_months(period.end, -12)
    if mode != "previous":
        raise ValueError(f"Unknown comparison {mode!r}; valid: {', '.join(COMPARISONS)}.")
    length = period.end - period.start
    if period.preset not in _STEP_MONTHS:
        return period.start - length, period.start
    s0 = shift_months(period.start, -_STEP_MONTHS[period.preset])
    if period.preset in _FULL_PERIODS:
        return s0, period.start
    return s0, min(s0 + length, period.start)


def elapsed_days(since: pd.Series, as_of: datetime) -> pd.Series:
    """Days (float, fractions included) from each moment of ``since`` to ``as_of``.

    NaN where ``since`` is NaT; negative for moments after ``as_of``.
    """
    seconds: pd.Series = (pd.Timestamp(as_of) - since).dt.total_seconds()
    return seconds / 86_400


def _as_days(values: Any) -> np.ndarray:
    """Dates (str, date, datetime, Timestamp or array-like of them) as datetime64[D]."""
    stamps: pd.DatetimeIndex = pd.to_datetime(
        pd.Index(np.atleast_1d(np.asarray(values, dtype=object)))
    )
    if stamps.hasnans:
        raise ValueError("working_days needs dates, got a missing one")
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    days: np.ndarray = stamps.to_numpy().astype("datetime64[D]")
    return days


def working_days(start: Any, end: Any, holidays: Sequence[Any] = ()) -> Any:
    """Working days (Monday–Friday, minus ``holidays``) in the half-open ``[start, end)``: the
    normalisation of METRICS.md "Activities done" per working day and of incentive pacing.

    Parameters
    ----------
    start, end : date-like or array-like of dates
        Times of day are ignored (the date counts); 0 where ``end`` is not after ``start``.
    holidays : sequence of date-like
        Days not worked.

    Returns
    -------
    int or ndarray of int64
        An int when both bounds are scalars.

    Examples
    --------
    >>> working_days("2024-01-01", "2024-01-08")  # Mon .. next Mon, exclusive
    5
    >>> working_days("2024-01-06", "2024-01-08")  # Sat, Sun
    0
    >>> working_days("2024-01-01", "2024-02-01", holidays=["2024-01-01"])
    22
    """
    first, last = _as_days(start), _as_days(end)
    days = np.busday_count(first, np.maximum(first, last),
                           holidays=_as_days(holidays) if len(holidays) else [])  # fmt: skip
    if np.ndim(start) == 0 and np.ndim(end) == 0:
        return int(days[0])
    return days.astype(np.int64)
