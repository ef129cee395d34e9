"""The monthly series a forecast is fitted on (METRICS.md "Forecasts", methods.md §5.1).

Monthly revenue comes from the database one row per month that has any; a forecast needs every
month, so :func:`monthly_series` reindexes to a complete monthly index with zeros for the
months without a row.  The current month is still running on ``as_of``: its value so far is
kept apart (with the share of the month elapsed) and is never part of the fitting history, so a
half-finished month is not mistaken for a drop.  Seasonal models need two full seasons
(24 months); a shorter history is labelled and gets non-seasonal models only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

__all__ = [
    "MONTHS_PER_YEAR",
    "SHORT_HISTORY_LABEL",
    "MonthlySeries",
    "has_two_seasons",
    "monthly_series",
]

#: The seasonal period of a monthly series.
MONTHS_PER_YEAR = 12
#: Why a history shorter than two seasons gets non-seasonal models only (English; the UI
#: translates it, keyed on :attr:`MonthlySeries.seasonal`).
SHORT_HISTORY_LABEL = "< 24 months: non-seasonal models only"


def has_two_seasons(n: int, m: int = MONTHS_PER_YEAR) -> bool:
    """Whether ``n`` observations hold two full seasons of period ``m`` (``n >= 2 m``), the
    least seasonal models are fitted on (statsmodels' heuristic initialisation needs it).

    Examples
    --------
    >>> has_two_seasons(24), has_two_seasons(23)
    (True, False)
    """
    return n >= 2 * m


@dataclass(frozen=True, eq=False)
class MonthlySeries:
    """A complete monthly history plus the running month, made by :func:`monthly_series`.

    Attributes
    ----------
    history : Series
        float64 values of every complete month (missing months 0), indexed by the months'
        first days (``DatetimeIndex``, frequency ``MS``, named ``month``), oldest first; the
        fitting history.  Ends with the month before the month of ``as_of``.
    as_of : Timestamp
        The moment the data is taken at: the data holds what happened strictly before it.
    partial_month : Timestamp or None
        First day of the running month (the month of ``as_of``) when ``as_of`` is not a month
        start; None when ``as_of`` is the first moment of a month.
    partial_value : float
        The running month's value so far (0 when there is no running month).
    partial_share : float
        Share of the running month elapsed at ``as_of``, in days (``(as_of - month start) /
        days in month``, fractions of days counted), in ``(0, 1)``; 0 when there is none.
    """

    history: pd.Series
    as_of: pd.Timestamp
    partial_month: pd.Timestamp | None = None
    partial_value: float = 0.0
    partial_share: float = 0.0

    @property
    def y(self) -> np.ndarray:
        """The history's values as a float64 array (what the models are fitted on)."""
        values: np.ndarray = self.history.to_numpy(dtype="float64")
        return values

    @property
    def history_months(self) -> int:
        """Number of complete months in the fitting history."""
        return len(self.history)

    @property
    def seasonal(self) -> bool:
        """Whether seasonal models may be fitted: the history has ≥ 24 complete months."""
        return has_two_seasons(self.history_months)

    @property
    def label(self) -> str | None:
        """:data:`SHORT_HISTORY_LABEL` when the history is shorter than 24 months, else None."""
        return None if self.seasonal else SHORT_HISTORY_LABEL

    def future_months(self, h: int) -> pd.DatetimeIndex:
        """First days of the ``h`` months after the history: the running month first (when
        there is one, its forecast is the whole month's), then the months after it.
        """
        start = self.as_of.to_period("M").to_timestamp()
        return pd.date_range(start, periods=h, freq="MS", name="month")


def _month_values(values: pd.Series | pd.DataFrame, value: str) -> pd.Series:
    """``values`` as a float Series indexed by month starts (validated, NaN as 0)."""
    if isinstance(values, pd.DataFrame):
        missing = [c for c in ("month", value) if c not in values.columns]
        if missing:
            raise ValueError(f"the values frame lacks the column(s) {', '.join(missing)}")
        values = pd.Series(values[value].to_numpy(), index=values["month"])
    months = pd.DatetimeIndex(pd.to_datetime(values.index))
    if months.tz is not None:
        raise ValueError("months must be naive timestamps (no time zone)")
    if months.hasnans:
        raise ValueError("a month is missing (NaT)")
    if not (months == months.to_period("M").to_timestamp()).all():
        raise ValueError("months must be month starts (the first day at 00:00)")
    if months.has_duplicates:
        raise ValueError("a month appears twice; aggregate the values by month first")
    amounts = pd.to_numeric(pd.Series(values.to_numpy()), errors="raise").astype("float64")
    return pd.Series(np.nan_to_num(amounts.to_numpy(), nan=0.0), index=months).sort_index()


def monthly_series(
    values: pd.Series | pd.DataFrame, as_of: date, *, value: str = "value"
) -> MonthlySeries:
    """The complete monthly history of ``values`` up to ``as_of`` (METRICS.md "Forecasts",
    "Series").

    Every month from the first month of ``values`` to the month before the month of ``as_of``
    is present, a month without a value being 0.  When ``as_of`` is not the first moment of a
    month, its month is running: its value so far and the share of it elapsed are kept apart
    and left out of the history (a forecast fits the complete months only).

    Parameters
    ----------
    values : Series or DataFrame
        Money (or counts) per month: a Series indexed by month starts (Timestamps on the first
        day at 00:00), or a frame with a ``month`` column of month starts and a ``value``
        column.  NaN counts as 0 (as a SQL SUM skips missing amounts); a month may appear once.
    as_of : date or datetime
        The data holds what happened strictly before ``as_of`` (METRICS.md "Conventions"): a
        date is its first moment, so ``date(2026, 7, 1)`` means June is the last complete
        month and there is no running month.
    value : str
        The value column of a frame.

    Returns
    -------
    MonthlySeries
        The history (float64, months with no value 0), the running month, ``history_months``,
        ``seasonal`` (≥ 24 months) and ``label`` (the short-history reason, or None).

    Raises
    ------
    ValueError
        For months that are not month starts, a month given twice, non-numeric values, or a
        month that starts at or after ``as_of`` (it can hold no data from before ``as_of``).

    Examples
    --------
    >>> values = pd.Series([10.0, 30.0, 7.0],
    ...                    index=pd.to_datetime(["2026-01-01", "2026-03-01", "2026-05-01"]))
    >>> series = monthly_series(values, date(2026, 5, 11))
    >>> series.history.tolist()  # January to April; February and April had no value
    [10.0, 0.0, 30.0, 0.0]
    >>> series.partial_month.date(), series.partial_value, round(series.partial_share, 3)
    (datetime.date(2026, 5, 1), 7.0, 0.323)
    >>> series.history_months, series.seasonal, series.label
    (4, False, '< 24 months: non-seasonal models only')
    """
    by_month = _month_values(values, value)
    as_of_ts = pd.Timestamp(as_of)
    current = as_of_ts.to_period("M").to_timestamp()
    late = by_month.index[by_month.index >= as_of_ts]
    if len(late):
        raise ValueError(
            f"the values hold a month ({late[0].date()}) that starts at or after as_of "
            f"({as_of_ts}); pass only data from before as_of"
        )
    complete = by_month[by_month.index < current]
    first = by_month.index[0] if len(by_month) else current
    months = pd.date_range(first, current, freq="MS", inclusive="left", name="month")
    history = complete.reindex(months, fill_value=0.0).astype("float64")
    if as_of_ts == current:
        return MonthlySeries(history, as_of_ts)
    month_days = (current + pd.offsets.MonthBegin() - current) / pd.Timedelta(days=1)
    elapsed_days = (as_of_ts - current) / pd.Timedelta(days=1)
    return MonthlySeries(
        history,
        as_of_ts,
        partial_month=current,
        partial_value=float(by_month.get(current, 0.0)),
        partial_share=elapsed_days / month_days,
    )
