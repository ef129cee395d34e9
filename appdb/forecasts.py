"""The forecasts the app showed (the app database's ``forecasts``), so that later months show
how accurate they were (issue #19, "Forecast history").

A forecast is recorded when a page shows it: the day it was made (the evaluation day of its
data), the period it forecast, the segment, the model, and the value with its interval.  One
row per (day made, period, segment, model): recording the same forecast again the same day
replaces the earlier value, so a page shown a hundred times a day keeps one row.  Segments are
plain keys (``company``, ``team:<id>``, ``rep:<id>``, ``product_line:<name>``); which of them a
user may read is the reader's business (:func:`forecast_history` takes the keys to read).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa

from appdb.schema import FORECASTS

__all__ = ["MAX_SEGMENT_LENGTH", "RecordedForecast", "forecast_history", "record_forecasts"]

#: The longest segment key (the column's width).
MAX_SEGMENT_LENGTH = 150
_MAX_MODEL_LENGTH = 50


@dataclass(frozen=True)
class RecordedForecast:
    """One forecast as shown.

    Attributes
    ----------
    made_on : date
        The evaluation day of the data it was made from.
    target_start, target_end : date
        The period forecast, ``[start, end)``.
    segment : str
        ``company``, ``team:<id>``, ``rep:<id>``, ``product_line:<name>``.
    model : str
        The model (``combined``, ``pipeline``, ``theta``, ...).
    value : float
        The forecast (revenue, account currency).
    lower, upper : float or None
        Its interval.
    """

    made_on: date
    target_start: date
    target_end: date
    segment: str
    model: str
    value: float
    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        if not self.target_start < self.target_end:
            raise ValueError(f"an empty period: {self.target_start} to {self.target_end}")
        if not 0 < len(self.segment) <= MAX_SEGMENT_LENGTH:
            raise ValueError(
                f"a segment key of 1 to {MAX_SEGMENT_LENGTH} characters, not {self.segment!r}"
            )
        if not 0 < len(self.model) <= _MAX_MODEL_LENGTH:
            raise ValueError(
                f"a model name of 1 to {_MAX_MODEL_LENGTH} characters, not {self.model!r}"
            )
        for name in ("value", "lower", "upper"):
            number = getattr(self, name)
            if number is not None and not math.isfinite(number):
                raise ValueError(f"{name} must be a finite number, not {number!r}")


def _key(f: RecordedForecast) -> tuple[date, date, date, str, str]:
    return f.made_on, f.target_start, f.target_end, f.segment, f.model


def record_forecasts(app: sa.Engine, forecasts: Sequence[RecordedForecast]) -> int:
    """Store ``forecasts`` in one transaction, replacing those of the same day, period,
    segment and model.

    Returns
    -------
    int
        The rows written (new or replaced).

    Examples
    --------
    >>> record_forecasts(app, [RecordedForecast(date(2026, 5, 15), date(2026, 4, 1),
    ...                  date(2026, 7, 1), "company", "combined", 1.2e6)])  # doctest: +SKIP
    1
    """
    unique = {_key(f): f for f in forecasts}  # the last of duplicates wins
    if not unique:
        return 0
    now = datetime.now(UTC).replace(tzinfo=None)
    f = FORECASTS.c
    with app.begin() as conn:
        for made_on, start, end, segment, model in unique:
            conn.execute(
                FORECASTS.delete().where(
                    f.made_on == made_on, f.target_start == start, f.target_end == end,
                    f.segment == segment, f.model == model,
                )
            )  # fmt: skip
        conn.execute(
            FORECASTS.insert(),
            [
                {
                    "made_on": r.made_on,
                    "target_start": r.target_start,
                    "target_end": r.target_end,
                    "segment": r.segment,
                    "model": r.model,
                    "value": float(r.value),
                    "lower": r.lower,
                    "upper": r.upper,
                    "recorded_at": now,
                }
                for r in unique.values()
            ],
        )
    return len(unique)


def forecast_history(
    app: sa.Engine, segments: Sequence[str], *, models: Sequence[str] | None = None
) -> pd.DataFrame:
    """The recorded forecasts of ``segments`` (and ``models``, default all), oldest first.

    Returns
    -------
    DataFrame
        ``made_on``, ``target_start``, ``target_end`` datetime64, ``segment``, ``model`` str,
        ``value``, ``lower``, ``upper`` float; ordered by period, day made, segment, model.
    """
    f = FORECASTS.c
    stmt = sa.select(
        f.made_on, f.target_start, f.target_end, f.segment, f.model, f.value, f.lower, f.upper
    ).where(f.segment.in_(list(segments)))
    if models is not None:
        stmt = stmt.where(f.model.in_(list(models)))
    with app.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["made_on", "target_start", "target_end", "segment",
                                        "model", "value", "lower", "upper"])  # fmt: skip
    for column in ("made_on", "target_start", "target_end"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    for column in ("value", "lower", "upper"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    for column in ("segment", "model"):
        frame[column] = frame[column].astype("str")
    order = ["target_start", "target_end", "made_on", "segment", "model"]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)
