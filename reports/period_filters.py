"""The dashboard's periods as :class:`~crm_data.filters.Filters`, for pages and notebooks alike.

The filter bar and a notebook that asks for ``dashboard_filters("last_12_months")`` get the same
value: the same preset on the same reference day ("today", or ``CRM_TODAY`` when pinned), the
same comparison period, the same ``as_of`` (the period's exclusive end).  So a number in a
notebook is the number on the page.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date

from analytics.periods import Period, comparison_period, resolve_period
from crm_data.filters import Filters

__all__ = ["DEFAULT_PRESET", "TODAY_ENV", "dashboard_filters", "reference_date"]

#: The period the dashboard opens with.
DEFAULT_PRESET = "last_12_months"
#: Environment variable pinning "today" (ISO date) for demos and tests.
TODAY_ENV = "CRM_TODAY"


def reference_date() -> date:
    """The "today" of the period presets: ``CRM_TODAY`` if set, else the clock.

    Raises
    ------
    ValueError
        If ``CRM_TODAY`` is set but is not an ISO date (``2026-06-30``).
    """
    pinned = os.environ.get(TODAY_ENV, "").strip()
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise ValueError(f"{TODAY_ENV}={pinned!r} is not a date: write it as 2026-06-30.") from None


def dashboard_filters(
    preset: str = DEFAULT_PRESET,
    *,
    compare: str = "previous",
    today: date | None = None,
    start: date | None = None,
    end: date | None = None,
    teams: Iterable[int] = (),
    reps: Iterable[int] = (),
    regions: Iterable[str] = (),
    product_lines: Iterable[str] = (),
    pipeline: str | None = None,
) -> tuple[Filters, Period]:
    """The filters the dashboard uses for a period preset, and the resolved period.

    Parameters
    ----------
    preset : str
        A key of :data:`analytics.periods.PRESETS` (``last_12_months`` by default, as the
        dashboard opens; ``custom`` with ``start`` and ``end``).
    compare : str
        ``previous`` or ``last_year`` (:func:`analytics.periods.comparison_period`).
    today : date, optional
        The reference day; default :func:`reference_date`.
    start, end : date, optional
        The first and last day (both included) of a ``custom`` period.
    teams, reps, regions, product_lines, pipeline
        The narrowing filters, as in :class:`~crm_data.filters.Filters`.

    Returns
    -------
    tuple of (Filters, Period)
        ``as_of`` is the period's exclusive end.

    Examples
    --------
    >>> filters, period = dashboard_filters("last_quarter", today=date(2026, 5, 14))
    >>> filters.start, filters.end, filters.compare_period(), period.label
    (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1), (datetime.date(2025, 10, 1), \
datetime.date(2026, 1, 1)), '1 Jan – 31 Mar 2026')
    """
    period = resolve_period(preset, today or reference_date(), start, end)
    compare_start, compare_end = comparison_period(period, compare)
    filters = Filters(
        period.start,
        period.end,
        compare_start=compare_start,
        compare_end=compare_end,
        teams=tuple(teams),
        reps=tuple(reps),
        regions=tuple(regions),
        product_lines=tuple(product_lines),
        pipeline=pipeline,
    )
    return filters, period
