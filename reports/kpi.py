"""A KPI value with its comparison, unit and sample size, as KPI cards show it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from analytics.deltas import Delta, delta

__all__ = ["Kpi", "Unit", "first_value"]

#: How a value is shown: money in the account currency, a count, a decimal number (one
#: decimal, e.g. activities per day), a ratio (a fraction shown in %),
#: days, hours, or a multiple (pipeline coverage, shown as "3.2×").
Unit = Literal["money", "count", "decimal", "ratio", "days", "hours", "multiple"]


@dataclass(frozen=True)
class Kpi:
    """One KPI of a period and of its comparison period.

    Attributes
    ----------
    key, label : str
        Stable identifier and the card's label.
    value, previous : float
        This period's value and the comparison period's (NaN when undefined).
    unit : {"money", "count", "decimal", "ratio", "days", "hours", "multiple"}
        How the value is shown; ratios are fractions (0.42 = 42 %).
    higher_is_better : bool
        Colours the delta (a rise in forgotten clients is bad).
    sample : str, optional
        The sample size behind a rate, e.g. "132 closed deals".
    help : str
        The definition (METRICS.md), shown as the card's tooltip.
    """

    key: str
    label: str
    value: float
    previous: float
    unit: Unit
    higher_is_better: bool = True
    sample: str | None = None
    help: str = ""

    @property
    def delta(self) -> Delta:
        """Change against the comparison period (absolute and relative)."""
        return delta(self.value, self.previous)


def first_value(frame: pd.DataFrame, column: str, empty: float = math.nan) -> float:
    """``frame[column]`` of the first row as a float (a one-row analytics result), or ``empty``
    when the frame has no row (e.g. nothing happened in the period).
    """
    return float(frame[column].iloc[0]) if len(frame) else empty
