"""Monthly trend of a deal-flow value with the comparison period overlaid month by month."""

from __future__ import annotations

from datetime import date

import pandas as pd

__all__ = ["monthly_trend"]


def _month_starts(first: date, count: int) -> pd.DatetimeIndex:
    return pd.date_range(first.replace(day=1), periods=count, freq="MS", unit="us")


def _months_spanned(start: date, end: date) -> int:
    """Number of calendar months overlapping ``[start, end)``."""
    last = pd.Timestamp(end) - pd.Timedelta(days=1)
    return (last.year - start.year) * 12 + last.month - start.month + 1


def _values_by_month(flow: pd.DataFrame, value: str, months: pd.DatetimeIndex) -> pd.Series:
    by_month = flow.groupby("month")[value].sum().astype("float64")
    return by_month.reindex(months, fill_value=0.0)


def monthly_trend(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    start: date,
    end: date,
    compare_start: date,
    value: str = "won_amount",
) -> pd.DataFrame:
    """One row per calendar month of ``[start, end)`` with the comparison month beside it.

    Month ``i`` of the period (counting from the month of ``start``) is paired with month ``i``
    of the comparison period, counting from the month of ``compare_start``.

    Parameters
    ----------
    current, previous : DataFrame
        Monthly deal-flow frames (``month`` datetime64 first day, plus the ``value`` column) of
        the period and of the comparison period (see :mod:`analytics.deals`).
    start, end : date
        The period ``[start, end)``.
    compare_start : date
        First day of the comparison period.
    value : str
        The flow column to show, e.g. ``"won_amount"`` (money) or ``"created"`` (deals).

    Returns
    -------
    DataFrame
        ``month`` datetime64 (first day), ``current`` float (0 for a month without a row),
        ``previous`` float (the comparison month's value, 0 when missing), ``previous_month``
        datetime64 (first day of the comparison month), ``partial`` bool (the month is not
        entirely inside ``[start, end)``); in month order.
    """
    count = _months_spanned(start, end)
    months = _month_starts(start, count)
    previous_months = _month_starts(compare_start, count)
    month_ends = months + pd.offsets.MonthBegin()
    partial = (months < pd.Timestamp(start)) | (month_ends > pd.Timestamp(end))
    return pd.DataFrame(
        {
            "month": months,
            "current": _values_by_month(current, value, months).to_numpy(),
            "previous": _values_by_month(previous, value, previous_months).to_numpy(),
            "previous_month": previous_months,
            "partial": partial,
        }
    )
