"""Argument checks the incentive modules share, and the two forms their results and messages
take (a float for scalar arguments, percents to 0.1 %).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from i18n import _, current_language


def finite_number(value: Any, what: str) -> float:
    """``value`` as a finite float, or ValueError naming ``what``."""
    if value is None:
        raise ValueError(_("{what} is missing: enter a number").format(what=what))
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            _("{what} must be a number, got {value}").format(what=what, value=repr(value))
        )
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(
            _("{what} must be finite, got {value}").format(what=what, value=repr(value))
        )
    return number


def day_counts(elapsed: Any, total: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validated elapsed and total working days (0 ≤ elapsed ≤ total, total > 0)."""
    elapsed_ = np.asarray(elapsed, dtype="float64")
    total_ = np.asarray(total, dtype="float64")
    if not (np.isfinite(elapsed_).all() and np.isfinite(total_).all()):
        raise ValueError("working-day counts must be finite")
    if (total_ <= 0).any():
        raise ValueError("the period must have at least one working day (total > 0)")
    if (elapsed_ < 0).any() or (elapsed_ > total_).any():
        raise ValueError("elapsed working days must be between 0 and the period's total")
    return elapsed_, total_


def unique_rows(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """ValueError naming the first rows of ``frame`` that repeat the ``columns`` key."""
    repeated = frame.duplicated(columns, keep=False)
    if repeated.any():
        shown = frame.loc[repeated, columns].drop_duplicates().head(3)
        keys = ", ".join(str(tuple(row)) for row in shown.itertuples(index=False))
        raise ValueError(f"the {what} frame has more than one row for {columns}: {keys}")


def scalar_or_array(values: np.ndarray, *inputs: Any) -> Any:
    """``values`` as a float when every one of ``inputs`` is a scalar, else the array."""
    if all(np.ndim(value) == 0 for value in inputs):
        return float(values)
    return values


def percent(value: float) -> str:
    """A fraction as a percent for messages, to 0.1 % (1.5 -> '150 %', 2.62591 -> '262.6 %'; in
    Russian with a decimal comma, '262,6 %').
    """
    text = f"{round(value * 100, 1):g}"
    if current_language() != "en":
        text = text.replace(".", ",").replace("-", "\u2212")
    return f"{text} %"
