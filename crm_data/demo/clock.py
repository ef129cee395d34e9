"""The demo timeline: 36 months ending at ``end``, seasonality and trend, time conversions.

Times are handled as float **days since the start** of the history; :meth:`Clock.stamps`
turns them into ``datetime64[us]`` (naive UTC, rounded to the second).  The history is the
half-open interval ``[start, end)`` with ``end`` at midnight, so the last recorded event falls on
the day before ``end``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

__all__ = ["Clock", "SEASONALITY", "ANNUAL_GROWTH", "MONTHS"]

MONTHS = 36
#: Planted monthly multipliers of new business (January … December), mean 1.
SEASONALITY = np.array([0.78, 0.88, 1.05, 1.02, 0.98, 0.9, 0.74, 0.8, 1.08, 1.14, 1.2, 1.43])
SEASONALITY = SEASONALITY / SEASONALITY.mean()
#: Planted annual growth of new business (accounts and deals created per day).
ANNUAL_GROWTH = 0.18
#: Relative activity on Saturday and Sunday.
WEEKEND = 0.25


@dataclass
class Clock:
    """Timeline of one demo history.

    Parameters
    ----------
    end : date
        Exclusive end (midnight) of the history.
    """

    end: date
    start: date = field(init=False)
    days: int = field(init=False)
    cum: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.start = (pd.Timestamp(self.end) - pd.DateOffset(months=MONTHS)).date()
        self.days = (self.end - self.start).days
        day_dates = pd.date_range(self.start, periods=self.days, freq="D")
        years = np.arange(self.days) / 365.25
        weight = SEASONALITY[day_dates.month.to_numpy() - 1] * (1 + ANNUAL_GROWTH) ** years
        weight = np.where(day_dates.day_of_week.to_numpy() >= 5, weight * WEEKEND, weight)
        self.cum = np.concatenate([[0.0], np.cumsum(weight)])

    @property
    def horizon(self) -> float:
        """Length of the history in days (exclusive upper bound of every event time)."""
        return float(self.days)

    def business_time(self, lo: np.ndarray, hi: np.ndarray | float, u: np.ndarray) -> np.ndarray:
        """Times in ``[lo, hi)`` drawn from the seasonal, trending business density.

        ``u`` are uniform numbers; the clock time is moved into working hours (08–18 h), then
        clipped back into the interval.
        """
        lo = np.asarray(lo, dtype=float)
        hi = np.broadcast_to(np.asarray(hi, dtype=float), lo.shape)
        grid = np.arange(self.days + 1, dtype=float)
        f_lo = np.interp(lo, grid, self.cum)
        f_hi = np.interp(hi, grid, self.cum)
        return self._office_hours(np.interp(f_lo + u * (f_hi - f_lo), self.cum, grid), lo, hi)

    def working(self, lo: np.ndarray, hi: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Times uniform in ``[lo, hi)`` moved into working hours (08–18 h), clipped back."""
        return self._office_hours(lo + u * (hi - lo), lo, hi)

    def _office_hours(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray | float) -> np.ndarray:
        """Times ``x`` moved into working hours (08–18 h) of their day, clipped into [lo, hi)."""
        day = np.floor(x)
        x = day + (8 + 10 * (x - day)) / 24
        return self.clip(np.maximum(x, lo), hi)

    def clip(self, t: np.ndarray, hi: np.ndarray | float | None = None) -> np.ndarray:
        """``t`` kept strictly before ``hi`` (default: the end of the history), one second off."""
        top = self.horizon if hi is None else hi
        return np.minimum(t, np.asarray(top) - 1 / 86_400)

    def stamps(self, t: np.ndarray) -> np.ndarray:
        """Days since start → ``datetime64[us]`` rounded to the second (NaN → NaT)."""
        t = np.asarray(t, dtype=float)
        nan = np.isnan(t)
        seconds = np.round(np.where(nan, 0, t) * 86_400).astype("int64")
        out = np.datetime64(self.start, "s") + seconds.astype("timedelta64[s]")
        out = out.astype("datetime64[us]")
        out[nan] = np.datetime64("NaT")
        return out

    def dates(self, t: np.ndarray) -> np.ndarray:
        """Days since start → ``datetime64[D]`` (the calendar day; NaN → NaT)."""
        return self.stamps(t).astype("datetime64[D]")

    def day_of(self, when: date) -> float:
        """A calendar date as days since start."""
        return float((when - self.start).days)
