"""Change of a KPI against the comparison period, and the zero-safe ratio every rate uses.

METRICS.md "Conventions": deltas are shown as absolute and %; a rate with a zero denominator is
missing (NaN), never 0 and never an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Delta", "delta", "ratio"]


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is 0 or NaN.

    Examples
    --------
    >>> ratio(3, 4)
    0.75
    >>> ratio(3, 0)
    nan
    """
    if denominator == 0 or math.isnan(denominator):
        return math.nan
    return float(numerator) / float(denominator)


@dataclass(frozen=True)
class Delta:
    """A KPI in the current and the comparison period.

    Attributes
    ----------
    current, previous : float
        The KPI in the current and in the comparison period.
    absolute : float
        ``current - previous`` (NaN if either is NaN), in the KPI's unit.
    relative : float
        ``absolute / |previous|`` as a fraction (0.25 = +25 %); NaN when ``previous`` is 0 or
        NaN.
    """

    current: float
    previous: float
    absolute: float
    relative: float


def delta(current: float, previous: float) -> Delta:
    """The absolute and relative change from ``previous`` to ``current``.

    Examples
    --------
    >>> delta(120.0, 100.0)
    Delta(current=120.0, previous=100.0, absolute=20.0, relative=0.2)
    >>> delta(-50.0, -100.0).relative  # dividing by |previous| keeps the sign of the change
    0.5
    """
    current, previous = float(current), float(previous)
    absolute = current - previous
    return Delta(current, previous, absolute, ratio(absolute, abs(previous)))
